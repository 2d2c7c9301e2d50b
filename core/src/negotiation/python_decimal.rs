//! Python's `decimal` arithmetic in its default context — 28 significant digits, each result
//! rounded half-even — as far as Decide's exchange model uses it. Decide computes in `Decimal`,
//! and where two exchanges have gains equal but for the last digits, the order its rounding
//! gives them decides which is executed first; binary floats round those digits otherwise.
//!
//! A [`PyDecimal`] is what an operation returns (at most 28 digits). An [`Exact`] is a float
//! converted exactly, as `Decimal(0.4)` is (55 digits for 0.1): Decide's two preference weights.
//! Every operation computes the exact result, or one that rounds the same, and rounds it once.

use std::cmp::Ordering;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// Significant digits of the default context.
const PRECISION: u32 = 28;
/// One limb of an exact intermediate holds 18 decimal digits.
const LIMB: u64 = 1_000_000_000_000_000_000;
const LIMB_DIGITS: u32 = 18;
/// Limbs of an exact intermediate: 432 digits, room for any product or sum of these operands.
const LIMBS: usize = 24;

/// 10^k for k = 0..=38, the powers a `u128` holds.
const POW10: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut k = 1;
    while k < 39 {
        table[k] = table[k - 1] * 10;
        k += 1;
    }
    table
};

/// For k = 1..=38, a multiplier m and shift s with ⌊n / 5^k⌋ = ⌊m·n / 2^s⌋ for every n below
/// 2^(128−k) (Granlund & Montgomery 1994, theorem 4.2: m = ⌊2^s / d⌋ + 1, s = N + ⌈log2 d⌉),
/// so that dividing by a power of ten is a shift and a multiplication, not a 128-bit division.
const RECIPROCALS: [(u128, u32); 39] = {
    let mut table = [(0u128, 0u32); 39];
    let mut k = 1;
    while k < 39 {
        let d = POW10[k] >> k; // 5^k
        let log = 128 - (d - 1).leading_zeros();
        let shift = 128 - k as u32 + log;
        // ⌊2^shift / d⌋ by binary long division; the quotient stays below 2^(129−k).
        let (mut q, mut r) = (0u128, 0u128);
        let mut bit = shift as i64;
        while bit >= 0 {
            r = r * 2 + if bit == shift as i64 { 1 } else { 0 };
            q *= 2;
            if r >= d {
                r -= d;
                q += 1;
            }
            bit -= 1;
        }
        table[k] = (q + 1, shift);
        k += 1;
    }
    table
};

/// ⌊x / 10^k⌋ and the remainder, for k ≤ 38.
fn div_pow10(x: u128, k: u32) -> (u128, u128) {
    if k == 0 {
        return (x, 0);
    }
    let (m, shift) = RECIPROCALS[k as usize];
    // ⌊x / 10^k⌋ = ⌊⌊x / 2^k⌋ / 5^k⌋; the high half of the 256-bit product holds the quotient.
    let n = x >> k;
    const LOW: u128 = u64::MAX as u128;
    let (n1, n0, m1, m0) = (n >> 64, n & LOW, m >> 64, m & LOW);
    let (p00, p01, p10, p11) = (n0 * m0, n0 * m1, n1 * m0, n1 * m1);
    let middle = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
    let q = high >> (shift - 128);
    (q, x - q * POW10[k as usize])
}

/// Decimal digits of `n` (0 for 0).
fn digits(n: u128) -> u32 {
    // ⌊bits × log10 2⌋ is the count or one short of it.
    let estimate = ((128 - n.leading_zeros()) * 1233) >> 12;
    estimate + u32::from(n >= POW10[estimate as usize])
}

/// A decimal number of at most 28 significant digits: (−1)^neg × coef × 10^exp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PyDecimal {
    neg: bool,
    coef: u128,
    exp: i32,
}

impl PyDecimal {
    /// Zero.
    pub(crate) const ZERO: PyDecimal = PyDecimal { neg: false, coef: 0, exp: 0 };

    /// An integer.
    pub(crate) fn from_int(n: i64) -> PyDecimal {
        round_u128(n < 0, u128::from(n.unsigned_abs()), 0, false)
    }

    /// The shortest decimal that reads back as `value` — what `Decimal("…")` makes of the text
    /// a float was read from. Non-finite values give zero.
    pub(crate) fn from_f64_shortest(value: f64) -> PyDecimal {
        if !value.is_finite() {
            return PyDecimal::ZERO;
        }
        // `{:e}` prints the shortest digits that round-trip, as d.ddd…e±x.
        let text = format!("{:e}", value.abs());
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut coef: u128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            coef = coef * 10 + u128::from(b - b'0');
        }
        round_u128(value < 0.0, coef, exponent - fraction.len() as i32, false)
    }

    /// The nearest float, as Python's `float()` gives it.
    pub(crate) fn to_f64(self) -> f64 {
        let magnitude: f64 = format!("{}e{}", self.coef, self.exp).parse().unwrap_or(0.0);
        if self.neg { -magnitude } else { magnitude }
    }

    /// The absolute value.
    pub(crate) fn abs(self) -> PyDecimal {
        PyDecimal { neg: false, ..self }
    }

    fn is_zero(self) -> bool {
        self.coef == 0
    }

    /// A key that orders as the values do.
    pub(crate) fn key(self) -> (i8, i32, u128) {
        if self.coef == 0 {
            return (0, 0, 0);
        }
        // The coefficient scaled to 28 digits, and the place of the leading digit.
        let n = digits(self.coef);
        let scaled = self.coef * POW10[(PRECISION - n) as usize];
        let top = self.exp + n as i32;
        if self.neg { (-1, -top, POW10[PRECISION as usize] - scaled) } else { (1, top, scaled) }
    }

    /// `self × c` rounded once, `c` taken exactly.
    pub(crate) fn mul_exact(self, c: &Exact) -> PyDecimal {
        Wide::mul(&Wide::from(self), &c.0).round(false)
    }

    /// `self − c` rounded once, `c` taken exactly.
    pub(crate) fn sub_exact(self, c: &Exact) -> PyDecimal {
        Wide::add(&Wide::from(self), &c.0.negated()).round(false)
    }

    /// Compares with a value taken exactly, as Python compares a `Decimal` with a float.
    pub(crate) fn cmp_exact(self, c: &Exact) -> Ordering {
        Wide::from(self).cmp_value(&c.0)
    }

    /// `self ± other` (`negate` for minus).
    fn add_signed(self, other: PyDecimal, negate: bool) -> PyDecimal {
        let other = if negate { -other } else { other };
        if other.is_zero() {
            return self;
        }
        if self.is_zero() {
            return other;
        }
        if self.exp == other.exp && self.neg == other.neg {
            // The common case in sums: no alignment, and often no rounding.
            let sum = self.coef + other.coef;
            if sum < POW10[PRECISION as usize] {
                return PyDecimal { coef: sum, ..self };
            }
            return round_u128(self.neg, sum, self.exp, false);
        }
        // Aligned in a u128 when the exponents are close, as they nearly always are.
        let (high, low) = if self.exp >= other.exp { (self, other) } else { (other, self) };
        let shift = (high.exp - low.exp) as u32;
        if shift < 39
            && let Some(aligned) = high.coef.checked_mul(POW10[shift as usize])
            && aligned < u128::MAX / 2
        {
            let exp = low.exp;
            return if high.neg == low.neg {
                round_u128(high.neg, aligned + low.coef, exp, false)
            } else if aligned >= low.coef {
                round_u128(high.neg, aligned - low.coef, exp, false)
            } else {
                round_u128(low.neg, low.coef - aligned, exp, false)
            };
        }
        Wide::add(&Wide::from(self), &Wide::from(other)).round(false)
    }
}

impl Neg for PyDecimal {
    type Output = PyDecimal;
    fn neg(self) -> PyDecimal {
        PyDecimal { neg: !self.neg && self.coef != 0, ..self }
    }
}

impl Add for PyDecimal {
    type Output = PyDecimal;
    fn add(self, other: PyDecimal) -> PyDecimal {
        self.add_signed(other, false)
    }
}

impl Sub for PyDecimal {
    type Output = PyDecimal;
    fn sub(self, other: PyDecimal) -> PyDecimal {
        self.add_signed(other, true)
    }
}

impl Mul for PyDecimal {
    type Output = PyDecimal;
    fn mul(self, other: PyDecimal) -> PyDecimal {
        let neg = self.neg != other.neg;
        let exp = self.exp + other.exp;
        if let Some(product) = self.coef.checked_mul(other.coef) {
            return round_u128(neg, product, exp, false);
        }
        // Both under 10^28: in halves of 14 digits the product is h·10^28 + m·10^14 + l, each
        // part within a u128.
        const HALF: u128 = 100_000_000_000_000;
        let ((a1, a0), (b1, b0)) = (div_pow10(self.coef, 14), div_pow10(other.coef, 14));
        let (low_carry, low) = div_pow10(a0 * b0, 14);
        let (middle_carry, middle) = div_pow10(a1 * b0 + a0 * b1 + low_carry, 14);
        let high = a1 * b1 + middle_carry;
        // The low 28 digits, and the high part (non-zero, or the product would have fitted).
        let below = middle * HALF + low;
        let cut = digits(high);
        let (shifted, dropped) = div_pow10(below, cut);
        round_cut(neg, high * POW10[(PRECISION - cut) as usize] + shifted, dropped, cut, exp, false)
    }
}

impl Div for PyDecimal {
    type Output = PyDecimal;
    /// The quotient rounded to 28 digits. Division by zero, an error in Python, gives zero:
    /// callers rule it out first.
    fn div(self, other: PyDecimal) -> PyDecimal {
        if other.is_zero() || self.is_zero() {
            return PyDecimal::ZERO;
        }
        let (a, b) = (self.coef, other.coef);
        // Long division, up to 10 digits at a time, until 29 digits (one to round on) are in.
        let mut quotient = a / b;
        let mut rest = a - quotient * b;
        let mut shift = 0i32;
        while rest != 0 && digits(quotient) <= PRECISION {
            let k = (PRECISION + 1 - digits(quotient)).min(10);
            let scaled = rest * POW10[k as usize];
            let digits_in = scaled / b;
            quotient = quotient * POW10[k as usize] + digits_in;
            rest = scaled - digits_in * b;
            shift += k as i32;
        }
        round_u128(self.neg != other.neg, quotient, self.exp - other.exp - shift, rest != 0)
    }
}

impl PartialEq for PyDecimal {
    fn eq(&self, other: &PyDecimal) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for PyDecimal {
    fn partial_cmp(&self, other: &PyDecimal) -> Option<Ordering> {
        if self.exp == other.exp && self.neg == other.neg {
            let magnitude = self.coef.cmp(&other.coef);
            return Some(if self.neg { magnitude.reverse() } else { magnitude });
        }
        Some(self.key().cmp(&other.key()))
    }
}

impl std::fmt::Display for PyDecimal {
    /// As coefficient and exponent, `-123E-2`: exact, for tests and traces.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}E{}", if self.neg { "-" } else { "" }, self.coef, self.exp)
    }
}

/// Rounds (−1)^neg × coef × 10^exp to 28 digits, half to even. `sticky` says the true value
/// is a little more than that (digits left off below coef's last, never a half of it); coef then
/// has more than 28 digits.
fn round_u128(neg: bool, coef: u128, exp: i32, sticky: bool) -> PyDecimal {
    let n = digits(coef);
    if n <= PRECISION {
        return PyDecimal { neg: neg && coef != 0, coef, exp };
    }
    let cut = n - PRECISION;
    let (kept, dropped) = div_pow10(coef, cut);
    round_cut(neg, kept, dropped, cut, exp, sticky)
}

/// A value cut to its leading 28 digits `kept`, `dropped` the `cut` digits left off (and, with
/// `sticky`, a little more below them), rounded half-even.
fn round_cut(neg: bool, kept: u128, dropped: u128, cut: u32, exp: i32, sticky: bool) -> PyDecimal {
    let half = POW10[cut as usize] / 2;
    let up = dropped > half || (dropped == half && (sticky || kept % 2 == 1));
    carried(neg, kept + u128::from(up), exp + cut as i32)
}

/// 28 kept digits, a carry into a 29th (9…9 rounded up) folded back into the exponent.
fn carried(neg: bool, kept: u128, exp: i32) -> PyDecimal {
    if kept == POW10[PRECISION as usize] {
        PyDecimal { neg, coef: kept / 10, exp: exp + 1 }
    } else {
        PyDecimal { neg, coef: kept, exp }
    }
}

/// A float converted exactly to decimal, as `Decimal(0.4)` converts it.
#[derive(Debug, Clone)]
pub(crate) struct Exact(Wide);

impl Exact {
    /// `Decimal(value)`, or None where the value needs more digits than an intermediate holds
    /// (magnitudes below about 1e-150 or above 1e300) or is not finite.
    pub(crate) fn from_f64(value: f64) -> Option<Exact> {
        if !value.is_finite() {
            return None;
        }
        let bits = value.abs().to_bits();
        let (biased, fraction) = ((bits >> 52) as i32, bits & ((1u64 << 52) - 1));
        let (mantissa, power_of_two) =
            if biased == 0 { (fraction, -1074) } else { (fraction | (1u64 << 52), biased - 1075) };
        let mut wide = Wide::from_u128(u128::from(mantissa));
        wide.neg = value < 0.0;
        if power_of_two >= 0 {
            for _ in 0..power_of_two {
                wide.mul_small(2)?;
            }
        } else {
            // m / 2^k = m × 5^k / 10^k.
            for _ in 0..-power_of_two {
                wide.mul_small(5)?;
            }
            wide.exp = power_of_two;
        }
        Some(Exact(wide))
    }
}

/// An exact intermediate: (−1)^neg × Σ limbs[i] × 10^(18 i) × 10^exp.
#[derive(Debug, Clone)]
struct Wide {
    neg: bool,
    limbs: [u64; LIMBS],
    len: usize,
    exp: i32,
}

impl From<PyDecimal> for Wide {
    fn from(d: PyDecimal) -> Wide {
        let mut w = Wide::from_u128(d.coef);
        w.neg = d.neg;
        w.exp = d.exp;
        w
    }
}

impl Wide {
    fn from_u128(n: u128) -> Wide {
        let mut w = Wide { neg: false, limbs: [0; LIMBS], len: 0, exp: 0 };
        let mut n = n;
        while n != 0 {
            w.limbs[w.len] = (n % u128::from(LIMB)) as u64;
            n /= u128::from(LIMB);
            w.len += 1;
        }
        w
    }

    fn is_zero(&self) -> bool {
        self.len == 0
    }

    fn negated(&self) -> Wide {
        Wide { neg: !self.neg, ..self.clone() }
    }

    fn digits(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            (self.len as u32 - 1) * LIMB_DIGITS + digits(u128::from(self.limbs[self.len - 1]))
        }
    }

    /// The exponent of the leading digit.
    fn top(&self) -> i32 {
        self.exp + self.digits() as i32 - 1
    }

    /// × m for m ≤ 10^18; None when the result outgrows the limbs.
    fn mul_small(&mut self, m: u64) -> Option<()> {
        let mut carry: u128 = 0;
        for limb in &mut self.limbs[..self.len] {
            let v = u128::from(*limb) * u128::from(m) + carry;
            *limb = (v % u128::from(LIMB)) as u64;
            carry = v / u128::from(LIMB);
        }
        while carry != 0 {
            if self.len == LIMBS {
                return None;
            }
            self.limbs[self.len] = (carry % u128::from(LIMB)) as u64;
            carry /= u128::from(LIMB);
            self.len += 1;
        }
        Some(())
    }

    /// The same value with the exponent lowered by `by` (the coefficient × 10^by).
    fn lowered(&self, by: u32) -> Option<Wide> {
        let mut w = self.clone();
        if w.is_zero() {
            w.exp -= by as i32;
            return Some(w);
        }
        let (whole, part) = ((by / LIMB_DIGITS) as usize, by % LIMB_DIGITS);
        if w.len + whole > LIMBS {
            return None;
        }
        w.limbs.copy_within(0..w.len, whole);
        w.limbs[..whole].fill(0);
        w.len += whole;
        w.mul_small(POW10[part as usize] as u64)?;
        w.exp -= by as i32;
        Some(w)
    }

    /// Compares coefficients of the same exponent.
    fn cmp_magnitude(&self, other: &Wide) -> Ordering {
        self.len.cmp(&other.len).then_with(|| {
            (0..self.len)
                .rev()
                .map(|i| self.limbs[i].cmp(&other.limbs[i]))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }

    /// Compares the values.
    fn cmp_value(&self, other: &Wide) -> Ordering {
        let sign = |w: &Wide| {
            if w.is_zero() {
                0
            } else if w.neg {
                -1
            } else {
                1
            }
        };
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self.top().cmp(&other.top()).then_with(|| {
            // Same leading position: aligned, both fit.
            let exp = self.exp.min(other.exp);
            match (self.lowered((self.exp - exp) as u32), other.lowered((other.exp - exp) as u32)) {
                (Some(x), Some(y)) => x.cmp_magnitude(&y),
                _ => Ordering::Equal,
            }
        });
        if a < 0 { magnitude.reverse() } else { magnitude }
    }

    /// The exact sum, or one that rounds to 28 digits as the sum does.
    fn add(a: &Wide, b: &Wide) -> Wide {
        if b.is_zero() {
            return a.clone();
        }
        if a.is_zero() {
            return b.clone();
        }
        let (high, low) = if a.exp >= b.exp { (a, b) } else { (b, a) };
        // A term wholly below both the other's last digit and 30 digits under its first cannot
        // change the rounding but by its sign: it is replaced by the digit 1 just below that
        // (both lie strictly between the same two multiples of 10^floor, which no rounding
        // boundary falls between).
        let floor = high.exp.min(high.top() - PRECISION as i32 - 1) - 1;
        let stand_in;
        let low = if low.top() < floor {
            stand_in = Wide { neg: low.neg, exp: floor - 1, ..Wide::from_u128(1) };
            &stand_in
        } else {
            low
        };
        let Some(high) = high.lowered((high.exp - low.exp) as u32) else {
            // Unreachable for the operands here: the stand-in keeps the span within the limbs.
            return a.clone();
        };
        let (mut sum, small, neg) = match (high.neg == low.neg, high.cmp_magnitude(low)) {
            (true, _) => (high.clone(), low.clone(), high.neg),
            (false, Ordering::Less) => (low.clone(), high.clone(), low.neg),
            (false, _) => (high.clone(), low.clone(), high.neg),
        };
        if high.neg == low.neg {
            let mut carry = 0u64;
            let len = sum.len.max(small.len);
            for i in 0..len {
                let v = sum.limbs[i] + small.limbs[i] + carry;
                sum.limbs[i] = v % LIMB;
                carry = v / LIMB;
            }
            sum.len = len;
            if carry != 0 && sum.len < LIMBS {
                sum.limbs[sum.len] = carry;
                sum.len += 1;
            }
        } else {
            let mut borrow = 0u64;
            for i in 0..sum.len {
                let take = small.limbs[i] + borrow;
                if sum.limbs[i] >= take {
                    sum.limbs[i] -= take;
                    borrow = 0;
                } else {
                    sum.limbs[i] = sum.limbs[i] + LIMB - take;
                    borrow = 1;
                }
            }
            while sum.len > 0 && sum.limbs[sum.len - 1] == 0 {
                sum.len -= 1;
            }
        }
        sum.neg = neg;
        sum
    }

    /// The exact product (saturating at the limbs, which these operands never reach).
    fn mul(a: &Wide, b: &Wide) -> Wide {
        let mut out = Wide { neg: a.neg != b.neg, limbs: [0; LIMBS], len: 0, exp: a.exp + b.exp };
        if a.is_zero() || b.is_zero() {
            return out;
        }
        let mut acc = [0u128; 2 * LIMBS];
        for i in 0..a.len {
            for j in 0..b.len {
                acc[i + j] += u128::from(a.limbs[i]) * u128::from(b.limbs[j]);
                // Keep each cell small enough for the next product.
                let carry = acc[i + j] / u128::from(LIMB);
                acc[i + j] %= u128::from(LIMB);
                acc[i + j + 1] += carry;
            }
        }
        let used = (a.len + b.len).min(LIMBS);
        let mut carry = 0u128;
        for (k, cell) in acc.iter().enumerate().take(used) {
            let v = cell + carry;
            out.limbs[k] = (v % u128::from(LIMB)) as u64;
            carry = v / u128::from(LIMB);
        }
        out.len = used;
        while out.len > 0 && out.limbs[out.len - 1] == 0 {
            out.len -= 1;
        }
        out
    }

    /// The digit at position `p` from the right.
    fn digit(&self, p: u32) -> u64 {
        let limb = self.limbs[(p / LIMB_DIGITS) as usize];
        (limb / POW10[(p % LIMB_DIGITS) as usize] as u64) % 10
    }

    /// Whether any digit right of position `p` is non-zero.
    fn any_below(&self, p: u32) -> bool {
        let (at, part) = ((p / LIMB_DIGITS) as usize, p % LIMB_DIGITS);
        self.limbs[..at].iter().any(|&l| l != 0) || !self.limbs[at].is_multiple_of(POW10[part as usize] as u64)
    }

    /// Rounded to 28 digits, half to even.
    fn round(&self, sticky: bool) -> PyDecimal {
        let n = self.digits();
        if n <= PRECISION {
            let coef =
                self.limbs[..self.len].iter().rev().fold(0u128, |acc, &l| acc * u128::from(LIMB) + u128::from(l));
            return round_u128(self.neg, coef, self.exp, sticky);
        }
        let cut = n - PRECISION;
        // The kept digits, most significant first.
        let mut kept: u128 = 0;
        for p in (cut..n).rev() {
            kept = kept * 10 + u128::from(self.digit(p));
        }
        let first_dropped = self.digit(cut - 1);
        let rest = sticky || (cut > 1 && self.any_below(cut - 1));
        let up = first_dropped > 5 || (first_dropped == 5 && (rest || kept % 2 == 1));
        carried(self.neg, kept + u128::from(up), self.exp + cut as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decimal from Python's `str` of it.
    fn d(text: &str) -> PyDecimal {
        let (mantissa, exp) = text.split_once('E').map_or((text, 0), |(m, e)| (m, e.parse().expect("exp")));
        let neg = mantissa.starts_with('-');
        let mantissa = mantissa.trim_start_matches('-');
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let coef: u128 = format!("{whole}{fraction}").parse().expect("coef");
        round_u128(neg, coef, exp - fraction.len() as i32, false)
    }

    /// Python's own results, from `decimal` in its default context:
    /// `python3 -c "from decimal import Decimal as D; print(D(…) op D(…))"`.
    #[test]
    fn operations_round_as_python_does() {
        assert_eq!(d("1") / d("3"), d("0.3333333333333333333333333333"));
        assert_eq!(d("2") / d("3"), d("0.6666666666666666666666666667"));
        assert_eq!(d("100") / d("6.5"), d("15.38461538461538461538461538"));
        assert_eq!(d("1") - d("1E-40"), d("1.000000000000000000000000000"));
        assert_eq!(d("1") + d("5E-28"), d("1.000000000000000000000000000"));
        assert_eq!(d("1") + d("5.000000000000000000000000001E-28"), d("1.000000000000000000000000001"));
        assert_eq!(d("1") + d("1.5E-27"), d("1.000000000000000000000000002"));
        assert_eq!(d("9999999999999999999999999999") + d("0.5"), d("1.000000000000000000000000000E28"));
        assert_eq!(d("0.1") + d("0.2"), d("0.3"));
        assert_eq!(
            d("1.234567890123456789012345678") * d("9.876543210987654321098765432"),
            d("12.19326311370217952261850326")
        );
        assert_eq!(d("-7") / d("2"), d("-3.5"));
    }

    #[test]
    fn powers_of_ten_divide_as_the_hardware_does() {
        // Edges (0, 10^k ± 1, the top of the range) and a spread of values, against u128 `/`.
        let mut values = vec![0u128, 1, u128::MAX, u128::MAX - 1, u128::MAX / 3];
        for p in POW10 {
            values.extend([p - 1, p, p + 1, p.wrapping_mul(7) / 3]);
        }
        let mut x = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834u128;
        for _ in 0..20_000 {
            // xorshift, and every magnitude.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 128));
        }
        for &v in &values {
            for k in 0..39u32 {
                let p = POW10[k as usize];
                assert_eq!(div_pow10(v, k), (v / p, v % p), "{v} / 10^{k}");
            }
        }
    }

    #[test]
    fn keys_order_as_values_and_digits_are_counted() {
        let values = ["-12.5", "-1.25", "-0.3", "0", "1E-30", "0.3", "0.30000000000000000000000001", "1.25", "12.5"];
        let keys: Vec<_> = values.iter().map(|v| d(v).key()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        for (k, &p) in POW10.iter().enumerate() {
            assert_eq!(digits(p), k as u32 + 1);
            if k > 0 {
                assert_eq!(digits(p - 1), k as u32);
            }
        }
        assert_eq!((digits(0), digits(u128::MAX)), (0, 39));
    }

    #[test]
    fn floats_convert_exactly_where_decide_converts_them() {
        let four = Exact::from_f64(0.4).expect("0.4");
        let one = PyDecimal::from_int(1);
        // Decimal(1) * Decimal(0.4) and Decimal(1) - Decimal(0.1).
        assert_eq!(one.mul_exact(&four), d("0.4000000000000000222044604925"));
        assert_eq!(one.sub_exact(&Exact::from_f64(0.1).expect("0.1")), d("0.8999999999999999944488848769"));
        assert_eq!(d("0.4").cmp_exact(&four), Ordering::Less);
        assert_eq!(PyDecimal::from_f64_shortest(0.75), d("0.75"));
        assert_eq!(PyDecimal::from_f64_shortest(-1e-7), d("-1E-7"));
        assert_eq!(d("0.4000000000000000222044604925").to_f64(), 0.4);
    }

    /// 500 random operations on operands of 1 to 28 digits and exponents −35 to 5, with
    /// Python's results (the file says how they were made).
    #[test]
    fn random_operations_match_python() {
        let cases = include_str!("python_decimal_cases.txt");
        let mut checked = 0;
        for line in cases.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split(' ').collect();
            let (a, want) = (d(f[1]), d(f[3]));
            let got = match f[0] {
                "+" => a + d(f[2]),
                "-" => a - d(f[2]),
                "*" => a * d(f[2]),
                "/" => a / d(f[2]),
                op => {
                    let c = Exact::from_f64(f[2].parse().expect("float")).expect("exact");
                    if op == "*f" { a.mul_exact(&c) } else { a.sub_exact(&c) }
                }
            };
            assert!(got == want, "{line}: got {got}");
            checked += 1;
        }
        assert_eq!(checked, 500);
    }
}
