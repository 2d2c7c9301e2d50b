use super::*;

#[test]
fn radix_sort_sorts_stably() {
    let mut x = 0x1234_5678_9abc_def0u64;
    let keys: Vec<u64> = (0..5000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 997) | (x & 0xff00_0000_0000_0000)
        })
        .collect();
    let mut sorted = keys.clone();
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    super::radix_sort(&mut sorted, &mut order);
    let mut expected: Vec<u32> = (0..keys.len() as u32).collect();
    expected.sort_by_key(|&i| keys[i as usize]);
    assert_eq!(order, expected);
    assert!(sorted.iter().zip(&order).all(|(k, &i)| *k == keys[i as usize]));
}

/// Applies `deltas` in three writes and checks every cell and day cell against a recount.
fn check_against_recount(deltas: &[Delta]) {
    let mut a = Aggregates::default();
    for part in deltas.chunks(deltas.len() / 3 + 1) {
        a.apply(part.to_vec());
    }
    let mut cells: std::collections::BTreeMap<(DyadKey, i32, u8), Sums> = Default::default();
    let mut days: std::collections::BTreeMap<(DyadKey, i32), DayCell> = Default::default();
    for d in deltas {
        cells.entry((d.key, d.day, d.root)).or_default().add(&d.sums);
        days.entry((d.key, d.day)).or_insert(DayCell::new(d.day)).add(d.root, &d.sums);
    }
    cells.retain(|_, s| !s.is_zero());
    days.retain(|_, c| !c.is_zero());
    let got: Vec<_> = a.dyads.iter().flat_map(|(k, v)| v.iter().map(|c| ((*k, c.day, c.root), c.sums))).collect();
    assert_eq!(got.into_iter().collect::<std::collections::BTreeMap<_, _>>(), cells);
    let got: Vec<_> = a.days.iter().flat_map(|(k, v)| v.iter().map(|c| ((*k, c.day), *c))).collect();
    assert_eq!(got.into_iter().collect::<std::collections::BTreeMap<_, _>>(), days);
    for v in a.days.values() {
        assert!(v.windows(2).all(|w| w[0].day < w[1].day), "day cells in day order");
    }
    // Country totals: each event once for each country it involves.
    let mut totals: std::collections::BTreeMap<(u32, i32), (i64, i64)> = Default::default();
    for d in deltas {
        let mut countries = vec![d.key.source, d.key.target];
        countries.dedup();
        for c in countries {
            let t = totals.entry((c, d.day)).or_default();
            t.0 += d.sums.count;
            t.1 += d.sums.mentions;
        }
    }
    totals.retain(|_, t| *t != (0, 0));
    let got: std::collections::BTreeMap<(u32, i32), (i64, i64)> =
        a.countries.iter().flat_map(|(c, v)| v.iter().map(|t| ((*c, t.day), (t.count, t.mentions)))).collect();
    assert_eq!(got, totals);
}

#[test]
fn cells_equal_a_recount_whatever_the_ids_and_dates() {
    let mut next = crate::testing::below(0x9e37_79b9_7f4a_7c15);
    let deltas: Vec<Delta> = (0..6000)
        .map(|_| {
            let key = DyadKey::of(next(6) as u32, next(6) as u32, next(2) == 0);
            let sign = if next(5) == 0 { -1 } else { 1 };
            let sums = Sums::of_event(next(200) as f64 / 10.0 - 10.0, next(9) as u32, sign);
            Delta { key, day: next(300) as i32 - 150, root: 1 + next(20) as u8, sums }
        })
        .collect();
    // Country ids of 15 bits or less, packed as they are.
    check_against_recount(&deltas);
    // Wider ids: dyads numbered as they come.
    let wide = |k: DyadKey| DyadKey::of(k.source + (1 << 20), k.target * 70_000, k.directed);
    check_against_recount(&deltas.iter().map(|d| Delta { key: wide(d.key), ..*d }).collect::<Vec<_>>());
    // Days further apart than 22 bits of offset: applied in halves.
    check_against_recount(&deltas.iter().map(|d| Delta { day: d.day * 40_000, ..*d }).collect::<Vec<_>>());
    // Sums of several events (as when aggregate sets merge): they do not pack.
    let mut merged = deltas.clone();
    merged[7].sums.add(&Sums::of_event(2.5, 4, 1));
    check_against_recount(&merged);
    assert!(PackedSums::pack(&merged[7].sums).is_none());
    for d in &deltas {
        assert_eq!(PackedSums::pack(&d.sums).map(PackedSums::unpack), Some(d.sums));
    }
}

#[test]
fn a_day_cell_is_packed() {
    // Millions of them live in a store's aggregates.
    assert_eq!(std::mem::size_of::<DayCell>(), 72);
    let mut c = DayCell::new(3);
    c.add(1, &Sums::of_event(3.4, 2, 1));
    c.add(19, &Sums::of_event(-10.0, 5, 1));
    c.add(19, &Sums { count: 0, goldstein: 0, mentions: 4, goldstein_mentions: -40_000 });
    assert_eq!(c.quads, [1, 0, 0, 1]);
    assert_eq!(c.sums(), Sums { count: 2, goldstein: -6600, mentions: 11, goldstein_mentions: 6800 - 90_000 });
    assert_eq!(c.low(), Sums::of_event(3.4, 2, 1));
    let mut twice = c;
    twice.merge(&c);
    assert_eq!(twice.sums().count, 4);
    c.add(1, &Sums::of_event(3.4, 2, -1));
    c.add(19, &Sums::of_event(-10.0, 5, -1));
    c.add(19, &Sums { count: 0, goldstein: 0, mentions: -4, goldstein_mentions: 40_000 });
    assert!(c.is_zero());
}

#[test]
fn add_and_remove_exactly() {
    let mut a = Aggregates::default();
    let k = DyadKey::of(1, 2, true);
    let d = |day, g: f64, sign| Delta { key: k, day, root: 4, sums: Sums::of_event(g, 3, sign) };
    a.apply(vec![d(10, 1.1, 1), d(5, 2.2, 1), d(10, 0.1, 1)]);
    assert_eq!(a.cells(&k).len(), 2);
    assert_eq!(a.cells(&k)[1].sums.count, 2);
    assert_eq!(a.cells(&k)[1].sums.goldstein, 1200);
    a.apply(vec![d(10, 1.1, -1), d(10, 0.1, -1)]);
    assert_eq!(a.cells(&k).len(), 1);
    assert_eq!(a.country_totals(1).len(), 1);
    assert_eq!(a.partners(2), &[k]);
    // Symmetric events land on one key whatever the orientation.
    assert_eq!(DyadKey::of(2, 1, false), DyadKey::of(1, 2, false));
}
