//! Linear models over hashed sparse features: the averaged perceptron that trains them and the
//! compact, quantised table the trained models score with.
//!
//! A feature is a 64-bit hash of a template and its atoms (a word, a tag, a distance); the table
//! keys it by 32 bits, which among a few million features collides a few hundred times — noise a
//! linear model absorbs, for half the memory. Weights are averaged over every update (the
//! averaged perceptron's guard against the last examples' pull), then rounded to 16-bit integers
//! and the near-zero ones dropped.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Folds feature parts into one 64-bit hash.
#[inline]
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let h = (a ^ b.rotate_left(23)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 29)
}

/// A feature of template `t` over atoms.
#[inline]
pub(crate) fn feature(t: u64, atoms: &[u64]) -> u64 {
    let mut h = t.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ 0x2545_F491_4F6C_DD1D;
    for &a in atoms {
        h = mix(h, a);
    }
    // The final avalanche spreads every input bit over the 32 bits the table keys by.
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h
}

/// A string's atom.
pub(crate) fn atom(s: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    mix(h, s.len() as u64)
}

/// The table key of a feature hash.
#[inline]
fn key(h: u64) -> u32 {
    // Never 0: 0 marks an empty slot.
    ((h >> 32) as u32) | 1
}

/// Feature hashes are already mixed: the training map uses them as they are.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[derive(Clone, Copy)]
struct Param {
    class: u8,
    weight: f32,
    total: f64,
    stamp: u32,
}

/// An averaged perceptron in training.
pub(crate) struct Perceptron {
    classes: usize,
    params: HashMap<u32, Vec<Param>, BuildHasherDefault<PassThrough>>,
    /// Updates seen so far: the clock of the lazy averaging.
    clock: u32,
}

impl Perceptron {
    /// A model over `classes` classes (at most 255: a row's length is a byte).
    pub(crate) fn new(classes: usize) -> Self {
        assert!(classes < 256, "at most 255 classes");
        Perceptron { classes, params: HashMap::default(), clock: 0 }
    }

    /// Adds the current weights of the features to `scores` (one per class).
    pub(crate) fn score(&self, features: &[u64], scores: &mut [f32]) {
        scores.iter_mut().for_each(|s| *s = 0.0);
        for &f in features {
            if let Some(ps) = self.params.get(&key(f)) {
                for p in ps {
                    scores[p.class as usize] += p.weight;
                }
            }
        }
    }

    /// Advances the clock by one example.
    pub(crate) fn tick(&mut self) {
        self.clock += 1;
    }

    /// Moves weight from `guess` to `truth` on every feature.
    pub(crate) fn update(&mut self, features: &[u64], truth: usize, guess: usize) {
        if truth == guess {
            return;
        }
        let clock = self.clock;
        for &f in features {
            let ps = self.params.entry(key(f)).or_default();
            for (class, delta) in [(truth, 1.0f32), (guess, -1.0)] {
                let c = class as u8;
                let p = match ps.iter_mut().position(|p| p.class == c) {
                    Some(i) => &mut ps[i],
                    None => {
                        ps.push(Param { class: c, weight: 0.0, total: 0.0, stamp: clock });
                        let last = ps.len() - 1;
                        &mut ps[last]
                    }
                };
                p.total += f64::from(p.weight) * f64::from(clock - p.stamp);
                p.stamp = clock;
                p.weight += delta;
            }
        }
    }

    /// The averaged weights, quantised; weights that round to under `min_units` (of the 16-bit
    /// scale) are dropped.
    pub(crate) fn finish(&self, min_units: i32) -> Weights {
        let clock = f64::from(self.clock.max(1));
        let mut averaged: Vec<(u32, Vec<(u8, f64)>)> = Vec::with_capacity(self.params.len());
        let mut largest = 0f64;
        for (&k, ps) in &self.params {
            let mut v = Vec::with_capacity(ps.len());
            for p in ps {
                let total = p.total + f64::from(p.weight) * f64::from(self.clock - p.stamp);
                let w = total / clock;
                largest = largest.max(w.abs());
                v.push((p.class, w));
            }
            averaged.push((k, v));
        }
        averaged.sort_unstable_by_key(|x| x.0);
        let scale = if largest > 0.0 { largest / f64::from(i16::MAX) } else { 1.0 };
        let mut rows = Vec::with_capacity(averaged.len());
        for (k, v) in averaged {
            let mut entries: Vec<(u8, i16)> = v
                .into_iter()
                .map(|(c, w)| (c, (w / scale).round() as i16))
                .filter(|&(_, q)| i32::from(q).abs() >= min_units.max(1))
                .collect();
            if entries.is_empty() {
                continue;
            }
            entries.sort_unstable_by_key(|e| e.0);
            rows.push((k, entries));
        }
        Weights::from_rows(self.classes, scale as f32, &rows)
    }
}

/// A trained linear model: 16-bit weights in an open-addressing table keyed by feature. Models
/// of at most four classes (the parser's transitions) keep their weights in the slot itself, so a
/// feature costs one memory access.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Weights {
    classes: usize,
    /// The value of one unit of a quantised weight.
    scale: f32,
    /// The open-addressing table of a dense model (at most four classes), else empty.
    dense: Vec<Slot<[i16; 4]>>,
    /// The table of a sparse model (each slot: its row's first entry << 8 | length), else empty.
    sparse: Vec<Slot<u32>>,
    mask: usize,
    /// Rows of sparse models: (class, weight).
    entries: Vec<(u8, i16)>,
}

/// A vector of `n` copies of `v`, in transparent huge pages where the system offers them: the
/// tables are read at random, and with 4 KiB pages nearly every read would also miss the TLB.
fn huge_vec<T: Copy>(n: usize, v: T) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = out.as_ptr() as usize;
        let end = start + n * std::mem::size_of::<T>();
        let aligned = (start + HUGE - 1) & !(HUGE - 1);
        if end > aligned + HUGE {
            // SAFETY: the range lies within the vector's allocation; madvise only advises.
            unsafe {
                libc::madvise(aligned as *mut libc::c_void, (end - aligned) & !(HUGE - 1), libc::MADV_HUGEPAGE);
            }
        }
    }
    out.resize(n, v);
    out
}

/// A feature's slot: its key (0 when empty) and its weights, or where its row is. Key and
/// weights share a cache line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[repr(C)]
struct Slot<V> {
    key: u32,
    values: V,
}

/// The slot of key `k`, if any.
#[inline]
fn probe<V>(slots: &[Slot<V>], mask: usize, k: u32) -> Option<usize> {
    let mut i = k as usize & mask;
    loop {
        let sk = slots[i].key;
        if sk == k {
            return Some(i);
        }
        if sk == 0 {
            return None;
        }
        i = (i + 1) & mask;
    }
}

/// Fills an open-addressing table.
fn place<V: Copy + Default>(capacity: usize, rows: impl Iterator<Item = (u32, V)>) -> Vec<Slot<V>> {
    let mut slots = huge_vec(capacity, Slot::default());
    let mask = capacity - 1;
    for (k, v) in rows {
        let mut i = k as usize & mask;
        while slots[i].key != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = Slot { key: k, values: v };
    }
    slots
}

/// Classes up to which weights sit in the slots.
const DENSE: usize = 4;

impl Weights {
    fn from_rows(classes: usize, scale: f32, rows: &[(u32, Vec<(u8, i16)>)]) -> Weights {
        // A load of at most 2/3 keeps linear probing short.
        let capacity = (rows.len() * 3 / 2 + 1).next_power_of_two().max(16);
        let mask = capacity - 1;
        let mut entries = Vec::new();
        let (mut dense, mut sparse) = (Vec::new(), Vec::new());
        if classes <= DENSE {
            dense = place(
                capacity,
                rows.iter().map(|(k, row)| {
                    let mut v = [0i16; 4];
                    for &(c, w) in row {
                        v[c as usize] = w;
                    }
                    (*k, v)
                }),
            );
        } else {
            let mut packed = Vec::with_capacity(rows.len());
            for (k, row) in rows {
                packed.push((*k, ((entries.len() as u32) << 8) | row.len() as u32));
                entries.extend_from_slice(row);
            }
            sparse = place(capacity, packed.into_iter());
        }
        Weights { classes, scale, dense, sparse, mask, entries }
    }

    /// Number of classes.
    pub(crate) fn classes(&self) -> usize {
        self.classes
    }

    /// Number of features with weights.
    pub(crate) fn features(&self) -> usize {
        self.dense.iter().filter(|s| s.key != 0).count() + self.sparse.iter().filter(|s| s.key != 0).count()
    }

    fn row(&self, i: usize) -> &[(u8, i16)] {
        let packed = self.sparse[i].values;
        let start = (packed >> 8) as usize;
        &self.entries[start..start + (packed & 0xFF) as usize]
    }

    /// The summed weights of the features per class, in quantised units.
    #[inline]
    pub(crate) fn score(&self, features: &[u64], scores: &mut [i32]) {
        scores.iter_mut().for_each(|s| *s = 0);
        // Touch every feature's slot before reading any: the misses overlap.
        #[cfg(target_arch = "x86_64")]
        for &f in features {
            let i = key(f) as usize & self.mask;
            // SAFETY: prefetching is a hint; both pointers are within their slices (one is
            // empty: its pointer is not read).
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                if self.dense.is_empty() {
                    _mm_prefetch(self.sparse.as_ptr().add(i) as *const i8, _MM_HINT_T0);
                } else {
                    _mm_prefetch(self.dense.as_ptr().add(i) as *const i8, _MM_HINT_T0);
                }
            }
        }
        if self.dense.is_empty() {
            // Find the rows and touch them, then add them up: the rows' misses overlap too.
            // Classes are bytes: sums in 256 cells need no bounds checks.
            let mut sums = [0i32; 256];
            let mut rows = [0u32; 64];
            for chunk in features.chunks(rows.len()) {
                let mut n = 0;
                for &f in chunk {
                    if let Some(i) = probe(&self.sparse, self.mask, key(f)) {
                        let packed = self.sparse[i].values;
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: a hint; the row starts within the entries.
                        unsafe {
                            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                            _mm_prefetch(self.entries.as_ptr().add((packed >> 8) as usize) as *const i8, _MM_HINT_T0);
                        }
                        rows[n] = packed;
                        n += 1;
                    }
                }
                for &packed in &rows[..n] {
                    let start = (packed >> 8) as usize;
                    for &(c, w) in &self.entries[start..start + (packed & 0xFF) as usize] {
                        sums[c as usize] += i32::from(w);
                    }
                }
            }
            let n = scores.len().min(256);
            scores[..n].copy_from_slice(&sums[..n]);
        } else {
            for &f in features {
                let Some(i) = probe(&self.dense, self.mask, key(f)) else { continue };
                let v = self.dense[i].values;
                for c in 0..self.classes {
                    scores[c] += i32::from(v[c]);
                }
            }
        }
    }

    fn rows(&self) -> Vec<(u32, Vec<(u8, i16)>)> {
        let dense = self.dense.iter().filter(|s| s.key != 0).map(|s| {
            let v = s.values;
            (s.key, (0..self.classes).filter(|&c| v[c] != 0).map(|c| (c as u8, v[c])).collect())
        });
        let sparse = (0..self.sparse.len())
            .filter(|&i| self.sparse[i].key != 0)
            .map(|i| (self.sparse[i].key, self.row(i).to_vec()));
        let mut rows: Vec<(u32, Vec<(u8, i16)>)> = dense.chain(sparse).collect();
        rows.sort_unstable_by_key(|r| r.0);
        rows
    }

    /// The mean of models of the same classes (an ensemble folded into one table), requantised.
    pub(crate) fn average(models: &[&Weights]) -> Weights {
        let classes = models.first().map_or(1, |m| m.classes);
        let mut sums: std::collections::BTreeMap<u32, Vec<(u8, f64)>> = std::collections::BTreeMap::new();
        for m in models {
            for (k, row) in m.rows() {
                let entry = sums.entry(k).or_default();
                for (c, q) in row {
                    let w = f64::from(q) * f64::from(m.scale);
                    match entry.iter_mut().find(|e| e.0 == c) {
                        Some(e) => e.1 += w,
                        None => entry.push((c, w)),
                    }
                }
            }
        }
        let n = models.len().max(1) as f64;
        let largest = sums.values().flatten().fold(0f64, |a, e| a.max((e.1 / n).abs()));
        let scale = if largest > 0.0 { largest / f64::from(i16::MAX) } else { 1.0 };
        let rows: Vec<(u32, Vec<(u8, i16)>)> = sums
            .into_iter()
            .map(|(k, mut row)| {
                row.sort_by_key(|e| e.0);
                (
                    k,
                    row.into_iter()
                        .map(|(c, w)| (c, (w / n / scale).round() as i16))
                        .filter(|e| e.1 != 0)
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|r| !r.1.is_empty())
            .collect();
        Weights::from_rows(classes, scale as f32, &rows)
    }

    /// The same model without weights under `min_units`.
    pub(crate) fn pruned(&self, min_units: i16) -> Weights {
        let rows: Vec<(u32, Vec<(u8, i16)>)> = self
            .rows()
            .into_iter()
            .map(|(k, r)| {
                (k, r.into_iter().filter(|e| e.1.unsigned_abs() >= min_units.unsigned_abs()).collect::<Vec<_>>())
            })
            .filter(|r| !r.1.is_empty())
            .collect();
        Weights::from_rows(self.classes, self.scale, &rows)
    }

    /// Writes the model (rows in key order).
    pub(crate) fn write(&self, out: &mut super::model_file::Writer) {
        let rows = self.rows();
        out.u32(self.classes as u32);
        out.f32(self.scale);
        out.u32(rows.len() as u32);
        let mut previous = 0u32;
        for (k, row) in rows {
            out.varint(u64::from(k - previous));
            previous = k;
            out.u8(row.len() as u8);
            for (c, w) in row {
                out.u8(c);
                out.i16(w);
            }
        }
    }

    /// Reads a model written by [`Weights::write`].
    pub(crate) fn read(input: &mut super::model_file::Reader) -> crate::Result<Weights> {
        let classes = input.u32()? as usize;
        let scale = input.f32()?;
        let n = input.u32()? as usize;
        if classes == 0 || classes > 256 || n > 64 << 20 {
            return Err(input.corrupt("weights header out of range"));
        }
        let mut rows = Vec::with_capacity(n);
        let mut k = 0u32;
        for _ in 0..n {
            let delta = input.varint()?;
            k = u32::try_from(u64::from(k) + delta).map_err(|_| input.corrupt("feature key out of range"))?;
            if k == 0 || k & 1 == 0 || rows.last().is_some_and(|r: &(u32, Vec<(u8, i16)>)| r.0 >= k) {
                return Err(input.corrupt("feature keys out of order"));
            }
            let len = input.u8()? as usize;
            let mut row = Vec::with_capacity(len);
            for _ in 0..len {
                let c = input.u8()?;
                if c as usize >= classes {
                    return Err(input.corrupt("class out of range"));
                }
                row.push((c, input.i16()?));
            }
            rows.push((k, row));
        }
        Ok(Weights::from_rows(classes, scale, &rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_rule_and_keeps_it_quantised() {
        // Class = which of two words is present.
        let mut p = Perceptron::new(2);
        let bias = feature(0, &[]);
        let a = [bias, feature(1, &[atom("talks")])];
        let b = [bias, feature(1, &[atom("strikes")])];
        let mut scores = [0f32; 2];
        for _ in 0..5 {
            for (f, truth) in [(&a, 0), (&b, 1)] {
                p.score(f, &mut scores);
                let guess = usize::from(scores[1] > scores[0]);
                p.update(f, truth, guess);
                p.tick();
            }
        }
        let w = p.finish(1);
        let mut s = [0i32; 2];
        w.score(&a, &mut s);
        assert!(s[0] > s[1]);
        w.score(&b, &mut s);
        assert!(s[1] > s[0]);
        let mut out = super::super::model_file::Writer::default();
        w.write(&mut out);
        let bytes = out.into_inner();
        let back = Weights::read(&mut super::super::model_file::Reader::new(&bytes, "t")).unwrap();
        assert_eq!(back, w);
    }
}
