//! Aggregates that travel: built from events anywhere (a Spark or Dask worker, a notebook),
//! carrying their own country codes, merged into the sums a store would hold, and exchanged as
//! Arrow tables.

use super::{AggregateSource, Aggregates, Delta, DyadKey, Interner, Sums};
use ahash::HashMap;

/// Aggregates that carry their own country codes, built from events anywhere — a worker of a
/// Spark or Dask job, a notebook — and merged with others into the same sums a store would hold
/// for all of those events. Travels as an Arrow table (one row per dyad, day and root).
#[derive(Debug, Clone, Default)]
pub struct AggregateSet {
    countries: Interner,
    aggregates: Aggregates,
    events: i64,
}

/// Column names of an aggregate set's table.
pub const AGGREGATE_COLUMNS: &[&str] = &[
    "source_country",
    "target_country",
    "directed",
    "date",
    "root",
    "count",
    "goldstein_milli",
    "mentions",
    "goldstein_mentions_milli",
];

/// The schema of an aggregate set's table: the keys (a country may be unknown: null), then the
/// sums, Goldstein in thousandths.
pub fn aggregate_schema() -> arrow_schema::SchemaRef {
    use arrow_schema::{DataType, Field, Schema};
    let key = |n: &str, t: DataType, nullable: bool| Field::new(n, t, nullable);
    let mut fields = vec![
        key("source_country", DataType::Utf8, true),
        key("target_country", DataType::Utf8, true),
        key("directed", DataType::Boolean, false),
        key("date", DataType::Date32, false),
        key("root", DataType::UInt8, false),
    ];
    fields.extend(AGGREGATE_COLUMNS[5..].iter().map(|n| Field::new(*n, DataType::Int64, false)));
    std::sync::Arc::new(Schema::new(fields))
}

impl AggregateSource for AggregateSet {
    fn country_id(&self, code: &str) -> Option<u32> {
        self.countries.get(code)
    }
    fn aggregates(&self) -> &Aggregates {
        &self.aggregates
    }
    fn country_name(&self, id: u32) -> &str {
        self.countries.name(id)
    }
}

impl AggregateSet {
    /// The aggregates of normalised events (planned events left out, as in a store).
    pub fn from_events(events: &[crate::domain::event::Event]) -> AggregateSet {
        let mut set = AggregateSet::default();
        let mut deltas = Vec::with_capacity(events.len());
        for e in events.iter().filter(|e| !e.planned) {
            let Ok(root) = e.root_code.parse::<u8>() else { continue };
            let s = set.countries.intern(e.source_country.as_deref());
            let t = set.countries.intern(e.target_country.as_deref());
            deltas.push(Delta {
                key: DyadKey::of(s, t, e.directed),
                day: e.date.days(),
                root,
                sums: Sums::of_event(e.goldstein, e.mentions, 1),
            });
        }
        set.events = deltas.len() as i64;
        set.aggregates.apply(deltas);
        set
    }

    /// Adds another set's sums to this one.
    pub fn merge(&mut self, other: &AggregateSet) {
        let mut deltas = Vec::with_capacity(other.aggregates.cell_count());
        let mut ids: HashMap<u32, u32> = HashMap::default();
        let mut map = |set: &mut Interner, id: u32| {
            *ids.entry(id).or_insert_with(|| {
                let name = other.countries.name(id);
                set.intern((!name.is_empty()).then_some(name))
            })
        };
        for (key, cells) in &other.aggregates.dyads {
            let k =
                DyadKey::of(map(&mut self.countries, key.source), map(&mut self.countries, key.target), key.directed);
            deltas.extend(cells.iter().map(|c| Delta { key: k, day: c.day, root: c.root, sums: c.sums }));
        }
        self.events += other.events;
        self.aggregates.apply(deltas);
    }

    /// Events counted in.
    pub fn events(&self) -> i64 {
        self.events
    }

    /// Number of (dyad, day, root) cells.
    pub fn cell_count(&self) -> usize {
        self.aggregates.cell_count()
    }

    /// The set as an Arrow table ([`AGGREGATE_COLUMNS`]), sorted by dyad, day and root.
    pub fn to_batch(&self) -> crate::Result<arrow_array::RecordBatch> {
        use arrow_array::{ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray, UInt8Array};
        // Names, with a symmetric pair in name order: the table must not depend on which set
        // happened to see a country first.
        let names = |k: &DyadKey| {
            let (s, t) = (self.countries.name(k.source), self.countries.name(k.target));
            if !k.directed && s > t { (t, s) } else { (s, t) }
        };
        let mut keys: Vec<&DyadKey> = self.aggregates.dyads.keys().collect();
        keys.sort_by(|x, y| (names(x), x.directed).cmp(&(names(y), y.directed)));
        let (mut sc, mut tc, mut dir, mut day, mut root) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut n, mut g, mut m, mut gm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in keys {
            let (s, t) = names(k);
            let name = |n: &str| Some(n).filter(|n| !n.is_empty()).map(str::to_string);
            for c in self.aggregates.cells(k) {
                sc.push(name(s));
                tc.push(name(t));
                dir.push(k.directed);
                day.push(c.day);
                root.push(c.root);
                n.push(c.sums.count);
                g.push(c.sums.goldstein);
                m.push(c.sums.mentions);
                gm.push(c.sums.goldstein_mentions);
            }
        }
        let cols: Vec<ArrayRef> = vec![
            std::sync::Arc::new(StringArray::from(sc)),
            std::sync::Arc::new(StringArray::from(tc)),
            std::sync::Arc::new(BooleanArray::from(dir)),
            std::sync::Arc::new(Date32Array::from(day)),
            std::sync::Arc::new(UInt8Array::from(root)),
            std::sync::Arc::new(Int64Array::from(n)),
            std::sync::Arc::new(Int64Array::from(g)),
            std::sync::Arc::new(Int64Array::from(m)),
            std::sync::Arc::new(Int64Array::from(gm)),
        ];
        arrow_array::RecordBatch::try_new(aggregate_schema(), cols)
            .map_err(|e| crate::Error::Internal(format!("arrow: {e}")))
    }

    /// A set from its table (as [`AggregateSet::to_batch`] writes it, or an engine: Spark's
    /// `SMALLINT` root and nullable sums are read as ours); errors name row and column.
    pub fn from_batch(batch: &arrow_array::RecordBatch) -> crate::Result<AggregateSet> {
        use arrow_array::Array;
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Date32Type, Int64Type, UInt8Type};
        // Each column in its own type: an engine's wider integers and other string layouts cast
        // (a value out of range is an error, not a wrap).
        let schema = aggregate_schema();
        let mut cast = std::collections::HashMap::new();
        for field in schema.fields() {
            let name = field.name().as_str();
            let Some(column) = batch.column_by_name(name) else { continue };
            let options = arrow_cast::CastOptions { safe: false, ..Default::default() };
            let typed = arrow_cast::cast_with_options(column, field.data_type(), &options).map_err(|e| {
                crate::Error::invalid(name, format!("column `{name}` cannot be read as {}: {e}", field.data_type()))
            })?;
            cast.insert(name.to_string(), typed);
        }
        let col = |name: &str| {
            cast.get(name)
                .ok_or_else(|| crate::Error::invalid(name, format!("the aggregate table has no `{name}` column")))
        };
        let wrong = |name: &str| crate::Error::invalid(name, format!("column `{name}` has the wrong type"));
        let strs = |name: &str| col(name)?.as_string_opt::<i32>().ok_or_else(|| wrong(name));
        let ints = |name: &str| col(name)?.as_primitive_opt::<Int64Type>().ok_or_else(|| wrong(name));
        let (sc, tc) = (strs("source_country")?, strs("target_country")?);
        let dir = col("directed")?.as_boolean_opt().ok_or_else(|| wrong("directed"))?;
        let day = col("date")?.as_primitive_opt::<Date32Type>().ok_or_else(|| wrong("date"))?;
        let root = col("root")?.as_primitive_opt::<UInt8Type>().ok_or_else(|| wrong("root"))?;
        let (n, g, m, gm) =
            (ints("count")?, ints("goldstein_milli")?, ints("mentions")?, ints("goldstein_mentions_milli")?);
        let mut set = AggregateSet::default();
        let mut deltas = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            if !(1..=20).contains(&root.value(i)) || dir.is_null(i) || day.is_null(i) {
                return Err(crate::Error::invalid("root", "a row needs a root 1..=20, a date and `directed`")
                    .at("table", i as u64 + 1));
            }
            if i32::try_from(n.value(i)).is_err() {
                return Err(crate::Error::invalid("count", format!("a count of {} events in one cell", n.value(i)))
                    .at("table", i as u64 + 1));
            }
            let s = set.countries.intern((!sc.is_null(i)).then(|| sc.value(i)));
            let t = set.countries.intern((!tc.is_null(i)).then(|| tc.value(i)));
            let sums = Sums {
                count: n.value(i),
                goldstein: g.value(i),
                mentions: m.value(i),
                goldstein_mentions: gm.value(i),
            };
            set.events += sums.count;
            deltas.push(Delta { key: DyadKey::of(s, t, dir.value(i)), day: day.value(i), root: root.value(i), sums });
        }
        set.aggregates.apply(deltas);
        Ok(set)
    }
}
