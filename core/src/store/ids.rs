//! The id index: an event id's xxh3 hash → its row. Open addressing with linear probing over
//! 8-byte slots (the hash's high half as a tag, then the row): half the memory of a general
//! map's 16-byte entries and control bytes. An import fills millions of slots, and on a VM each
//! page touched for the first time costs about as much as the work done in it.
//!
//! Ids may share a tag: every lookup is confirmed by the caller, who compares the id stored at
//! the row, so such ids live side by side.

/// A row no event has: marks an empty slot.
const EMPTY: u32 = u32::MAX;
const FREE: u64 = EMPTY as u64;

/// The id index of a store.
#[derive(Debug, Clone)]
pub(crate) struct IdIndex {
    /// `tag << 32 | row`; `FREE` (row `EMPTY`) when free. The length is a power of two.
    slots: Vec<u64>,
    len: usize,
}

#[inline]
fn tag(h: u64) -> u64 {
    h >> 32
}

#[inline]
fn row_of(slot: u64) -> u32 {
    slot as u32
}

impl Default for IdIndex {
    fn default() -> Self {
        IdIndex::with_capacity(0)
    }
}

impl IdIndex {
    /// An index with room for `n` ids before it grows.
    pub(crate) fn with_capacity(n: usize) -> IdIndex {
        IdIndex { slots: vec![FREE; Self::slots_for(n)], len: 0 }
    }

    /// Slots for `n` ids at most 70% full.
    fn slots_for(n: usize) -> usize {
        (n.saturating_mul(10) / 7 + 1).next_power_of_two().max(16)
    }

    /// Where a tag's probe starts.
    #[inline]
    fn home(&self, tag: u64) -> usize {
        tag as usize & (self.slots.len() - 1)
    }

    /// Ids in the index.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes room for `n` more ids.
    pub(crate) fn reserve(&mut self, n: usize) {
        let want = Self::slots_for(self.len.saturating_add(n));
        if want > self.slots.len() {
            let old = std::mem::replace(&mut self.slots, vec![FREE; want]);
            for slot in old.into_iter().filter(|s| row_of(*s) != EMPTY) {
                self.place(slot);
            }
        }
    }

    /// Asks the memory system for the slot of `h` ahead of a lookup: a write looks ids up one
    /// after another, each in a random place of a table of tens of megabytes.
    #[inline]
    pub(crate) fn prefetch(&self, h: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let slot: *const u64 = &self.slots[self.home(tag(h))];
            // SAFETY: a prefetch is a hint about a valid address; it cannot fault.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(slot.cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = h;
    }

    /// The row of an id whose hash is `h`: the first row under its tag that `is_id` accepts.
    #[inline]
    pub(crate) fn find(&self, h: u64, mut is_id: impl FnMut(u32) -> bool) -> Option<u32> {
        self.position(h, &mut is_id).map(|i| row_of(self.slots[i]))
    }

    fn position(&self, h: u64, mut accept: impl FnMut(u32) -> bool) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(tag(h));
        loop {
            let slot = self.slots[i];
            let row = row_of(slot);
            if row == EMPTY {
                return None;
            }
            if slot >> 32 == tag(h) && accept(row) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds an id's row (`row` must not be `u32::MAX`).
    pub(crate) fn insert(&mut self, h: u64, row: u32) {
        debug_assert_ne!(row, EMPTY);
        if (self.len + 1) * 10 > self.slots.len() * 7 {
            self.reserve(self.len.max(16));
        }
        self.place(tag(h) << 32 | u64::from(row));
        self.len += 1;
    }

    /// Points the entry (`h`, `old`) at `new`; false when there is no such entry.
    pub(crate) fn replace(&mut self, h: u64, old: u32, new: u32) -> bool {
        match self.position(h, |row| row == old) {
            Some(i) => {
                self.slots[i] = tag(h) << 32 | u64::from(new);
                true
            }
            None => false,
        }
    }

    /// Removes the entry (`h`, `row`); false when there is no such entry.
    pub(crate) fn remove(&mut self, h: u64, row: u32) -> bool {
        let Some(mut hole) = self.position(h, |r| r == row) else { return false };
        self.len -= 1;
        // Backward shift: each later slot of the run moves into the hole unless its probe
        // starts after the hole (it would then no longer be found).
        let mask = self.slots.len() - 1;
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let slot = self.slots[j];
            if row_of(slot) == EMPTY {
                break;
            }
            let home = self.home(slot >> 32);
            // The distance from its home to `j` covers the hole: moving it keeps it reachable.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = slot;
                hole = j;
            }
        }
        self.slots[hole] = FREE;
        true
    }

    /// Places a packed slot; the table has room.
    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(slot >> 32);
        while row_of(self.slots[i]) != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Hashes from a small pool of tags, so that ids share tags and runs collide and wrap.
    fn hash(id: u32) -> u64 {
        u64::from(id % 7) << 32 | u64::from(id.wrapping_mul(2_654_435_761))
    }

    proptest! {
        #[test]
        fn behaves_like_a_map_of_ids_to_rows(ops in prop::collection::vec((0u8..4, 0u32..60, 0u32..1000), 1..400)) {
            let mut index = IdIndex::with_capacity(4);
            // id → row: ids are confirmed by the caller, as a store does.
            let mut model: HashMap<u32, u32> = HashMap::new();
            let mut ids_of_row: HashMap<u32, u32> = HashMap::new();
            for (op, id, row) in ops {
                let h = hash(id);
                match (op, model.get(&id).copied()) {
                    (0 | 1, None) if !ids_of_row.contains_key(&row) => {
                        index.insert(h, row);
                        model.insert(id, row);
                        ids_of_row.insert(row, id);
                    }
                    (2, Some(old)) if !ids_of_row.contains_key(&row) => {
                        prop_assert!(index.replace(h, old, row));
                        model.insert(id, row);
                        ids_of_row.remove(&old);
                        ids_of_row.insert(row, id);
                    }
                    (3, Some(old)) => {
                        prop_assert!(index.remove(h, old));
                        model.remove(&id);
                        ids_of_row.remove(&old);
                    }
                    _ => {}
                }
                prop_assert_eq!(index.find(h, |r| ids_of_row.get(&r) == Some(&id)), model.get(&id).copied());
            }
            prop_assert_eq!(index.len(), model.len());
            for (id, row) in &model {
                prop_assert_eq!(index.find(hash(*id), |r| ids_of_row.get(&r) == Some(id)), Some(*row));
            }
        }
    }

    #[test]
    fn grows_and_keeps_every_entry() {
        let mut index = IdIndex::default();
        for row in 0..100_000u32 {
            index.insert(xxhash_rust::xxh3::xxh3_64(&row.to_le_bytes()), row);
        }
        assert_eq!(index.len(), 100_000);
        for row in (0..100_000u32).step_by(7) {
            let h = xxhash_rust::xxh3::xxh3_64(&row.to_le_bytes());
            assert_eq!(index.find(h, |r| r == row), Some(row));
        }
        assert_eq!(index.find(xxhash_rust::xxh3::xxh3_64(b"absent"), |_| true), None);
    }
}
