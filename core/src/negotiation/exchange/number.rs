//! The arithmetic a run computes in: binary floats, or the 28-digit decimals Decide computes in
//! (the one way to order its near-equal gains as it does).

use crate::negotiation::python_decimal::{Exact, PyDecimal};
use std::cmp::Ordering;
use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A number type for the exchange model.
pub(super) trait Number:
    Copy
    + Debug
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// A float constant as the model multiplies and compares with it (Decide's `Decimal(0.4)`
    /// and `abs(move) <= 1e-10` take the float exactly).
    type Exact: Clone + Debug;
    /// A key that orders as the numbers do, cheap to compare.
    type Key: Ord + Copy;
    /// Zero.
    fn zero() -> Self;
    /// An integer.
    fn int(n: i64) -> Self;
    /// An input value as the model reads it from a file's text.
    fn input(value: f64) -> Self;
    /// A float constant, exactly; None where that cannot be held.
    fn exact(value: f64) -> Option<Self::Exact>;
    /// `self × c`.
    fn mul_exact(self, c: &Self::Exact) -> Self;
    /// `self − c`.
    fn sub_exact(self, c: &Self::Exact) -> Self;
    /// Compares with `c`.
    fn cmp_exact(self, c: &Self::Exact) -> Ordering;
    /// The absolute value.
    fn abs(self) -> Self;
    /// Its sort key.
    fn key(self) -> Self::Key;
    /// As a float.
    fn to_f64(self) -> f64;
    /// Whether two gains are a tie, `tie` the model's threshold.
    fn tied(a: Self, b: Self, tie: &Self::Exact) -> bool;
    /// The tie threshold of this arithmetic.
    const TIE: f64;
}

impl Number for f64 {
    type Exact = f64;
    type Key = i64;
    fn zero() -> f64 {
        0.0
    }
    fn int(n: i64) -> f64 {
        n as f64
    }
    fn input(value: f64) -> f64 {
        value
    }
    fn exact(value: f64) -> Option<f64> {
        Some(value)
    }
    fn mul_exact(self, c: &f64) -> f64 {
        self * c
    }
    fn sub_exact(self, c: &f64) -> f64 {
        self - c
    }
    fn cmp_exact(self, c: &f64) -> Ordering {
        self.total_cmp(c)
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    /// `total_cmp`'s order: negatives' magnitude bits flipped.
    fn key(self) -> i64 {
        let bits = self.to_bits() as i64;
        bits ^ ((((bits >> 63) as u64) >> 1) as i64)
    }
    fn to_f64(self) -> f64 {
        self
    }
    /// Relative: gains equal but for binary rounding differ far more than Decide's 1e-20.
    fn tied(a: f64, b: f64, tie: &f64) -> bool {
        (a - b).abs() < tie * a.abs().max(1.0)
    }
    const TIE: f64 = 1e-12;
}

impl Number for PyDecimal {
    type Exact = Exact;
    type Key = (i8, i32, u128);
    fn zero() -> PyDecimal {
        PyDecimal::ZERO
    }
    fn int(n: i64) -> PyDecimal {
        PyDecimal::from_int(n)
    }
    fn input(value: f64) -> PyDecimal {
        PyDecimal::from_f64_shortest(value)
    }
    fn exact(value: f64) -> Option<Exact> {
        Exact::from_f64(value)
    }
    fn mul_exact(self, c: &Exact) -> PyDecimal {
        PyDecimal::mul_exact(self, c)
    }
    fn sub_exact(self, c: &Exact) -> PyDecimal {
        PyDecimal::sub_exact(self, c)
    }
    fn cmp_exact(self, c: &Exact) -> Ordering {
        PyDecimal::cmp_exact(self, c)
    }
    fn abs(self) -> PyDecimal {
        PyDecimal::abs(self)
    }
    fn key(self) -> (i8, i32, u128) {
        PyDecimal::key(self)
    }
    fn to_f64(self) -> f64 {
        PyDecimal::to_f64(self)
    }
    /// Decide's: `abs(a − b) < 1e-20`.
    fn tied(a: PyDecimal, b: PyDecimal, tie: &Exact) -> bool {
        (a - b).abs().cmp_exact(tie).is_lt()
    }
    const TIE: f64 = 1e-20;
}
