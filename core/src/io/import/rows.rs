//! Imported rows straight into Arrow columns of the store's event schema: no `Event` per row,
//! each distinct string stored once per column, an actor's or a code's keys looked up once per
//! piece of input, the columns imports never fill made once as constants.

use super::lookup::{Actor, Code};
use crate::domain::columnar::event_schema;
use crate::error::{Error, Result};
use arrow_array::builder::StringBuilder;
use arrow_array::types::{ArrowPrimitiveType, Date32Type, Int32Type, UInt32Type};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, FixedSizeListArray, Float64Array, Int32Array, ListArray,
    PrimitiveArray, RecordBatch, StringArray, StructArray, UInt8Array, UInt32Array,
};
use arrow_buffer::{BooleanBuffer, Buffer, MutableBuffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One imported row: strings borrowed from the input, actors and codes from the readers' caches.
#[derive(Debug, Clone)]
pub(crate) struct Row<'a> {
    /// The id without its origin prefix (`1234` for `gdelt:1234`).
    pub id: &'a str,
    /// An extra id part making non-unique source ids unique (ICEWS), appended after `:`.
    pub id_suffix: Option<&'a str>,
    /// Day number.
    pub date: i32,
    /// The source actor, normalised.
    pub source: Option<&'a Actor>,
    /// The target actor.
    pub target: Option<&'a Actor>,
    /// Source name as the dataset gave it.
    pub source_name: Option<&'a str>,
    /// Target name.
    pub target_name: Option<&'a str>,
    /// Where the source name's key is cached, when the reader caches it (GDELT, with the
    /// actor: the same actor fields, the same name); `None`: looked up.
    pub source_name_keys: Option<&'a CachedKeys<1>>,
    /// Where the target name's key is cached.
    pub target_name_keys: Option<&'a CachedKeys<1>>,
    /// The CAMEO code (checked), with its root, QuadClass and crosswalk PLOVER type.
    pub code: &'a Code,
    /// The PLOVER type when the dataset gives one (POLECAT); otherwise the code's.
    pub plover: Option<&'a str>,
    /// Goldstein value.
    pub goldstein: f64,
    /// Mentions (at least 1).
    pub mentions: u32,
    /// Day the source reported it.
    pub reported: Option<i32>,
    /// Place name.
    pub location_name: Option<&'a str>,
    /// Place country.
    pub location_country: Option<&'a str>,
    /// Where the place's (name, country) keys are cached, when the reader caches them.
    pub place_keys: Option<&'a CachedKeys<2>>,
    /// Document (GDELT's SOURCEURL, an ICEWS story).
    pub doc_id: Option<&'a str>,
    /// Sentence number in the document.
    pub sentence: Option<u32>,
}

/// The dictionary keys a cached value (an actor, a code) has in one [`Rows`], filled on its
/// first row: the value's strings are then hashed once per piece of input, not once per row.
#[derive(Debug)]
pub(crate) struct CachedKeys<const N: usize> {
    /// The [`Rows`] the keys belong to (0: none yet).
    owner: Cell<u64>,
    keys: Cell<[i32; N]>,
}

impl<const N: usize> Default for CachedKeys<N> {
    fn default() -> Self {
        CachedKeys { owner: Cell::new(0), keys: Cell::new([NULL_KEY; N]) }
    }
}

impl<const N: usize> CachedKeys<N> {
    fn get_or(&self, owner: u64, make: impl FnOnce() -> [i32; N]) -> [i32; N] {
        if self.owner.get() == owner {
            return self.keys.get();
        }
        let keys = make();
        self.keys.set(keys);
        self.owner.set(owner);
        keys
    }
}

/// A dictionary-encoded string column under construction. Unlike arrow's builder it can append
/// a key already known, and it checks the previous row's value before hashing (rows of one
/// article follow each other and share their URL).
pub(crate) struct DictBuilder {
    table: hashbrown::HashTable<i32>,
    hasher: ahash::RandomState,
    offsets: Vec<i32>,
    bytes: Vec<u8>,
    /// [`NULL_KEY`] for a missing value until `finish` makes the null buffer.
    keys: Vec<i32>,
    last: i32,
}

/// Key of a missing value.
const NULL_KEY: i32 = -1;

#[inline]
fn value_of<'a>(offsets: &[i32], bytes: &'a [u8], key: i32) -> &'a [u8] {
    let k = key as usize;
    &bytes[offsets[k] as usize..offsets[k + 1] as usize]
}

impl DictBuilder {
    /// A column of `capacity` rows with room for about `distinct` values of about `bytes` bytes
    /// each: tables and string buffers sized once, not grown by doubling (each doubling hashes
    /// every value again, or copies every byte). Room not filled costs address space only.
    fn new(capacity: usize, distinct: usize, bytes: usize) -> DictBuilder {
        let mut offsets = Vec::with_capacity(distinct + 1);
        offsets.push(0);
        DictBuilder {
            table: hashbrown::HashTable::with_capacity(distinct),
            hasher: ahash::RandomState::new(),
            offsets,
            bytes: Vec::with_capacity(distinct * bytes),
            keys: Vec::with_capacity(capacity),
            last: NULL_KEY,
        }
    }

    /// The key of a value, added to the dictionary if new.
    #[inline]
    fn key(&mut self, value: &str) -> i32 {
        let v = value.as_bytes();
        let DictBuilder { table, hasher, offsets, bytes, last, .. } = self;
        if *last >= 0 && value_of(offsets, bytes, *last) == v {
            return *last;
        }
        let h = hasher.hash_one(v);
        if let Some(&k) = table.find(h, |&k| value_of(offsets, bytes, k) == v) {
            return k;
        }
        // Pieces are cut near 128 MB and longer lines than MAX_LINE_BYTES are bad rows: a piece's
        // strings fit i32 offsets.
        let k = (offsets.len() - 1) as i32;
        bytes.extend_from_slice(v);
        offsets.push(bytes.len() as i32);
        table.insert_unique(h, k, |&k| hasher.hash_one(value_of(offsets, bytes, k)));
        k
    }

    /// Appends a key (or a null for [`NULL_KEY`]).
    #[inline]
    fn push_key(&mut self, key: i32) {
        self.keys.push(key);
        if key >= 0 {
            self.last = key;
        }
    }

    /// Appends a value.
    #[inline]
    fn push(&mut self, value: Option<&str>) {
        let key = value.map_or(NULL_KEY, |v| self.key(v));
        self.push_key(key);
    }

    /// The key of an optional value, without appending a row.
    fn key_of(&mut self, value: Option<&str>) -> i32 {
        value.map_or(NULL_KEY, |v| self.key(v))
    }

    fn finish(mut self) -> Result<DictionaryArray<Int32Type>> {
        let err = |e: arrow_schema::ArrowError| Error::Internal(format!("arrow: {e}"));
        let values =
            StringArray::try_new(OffsetBuffer::new(self.offsets.into()), self.bytes.into(), None).map_err(err)?;
        // The nulls in one pass over the keys rather than a bit per push, 64 keys a word.
        let nulls = self.keys.iter().any(|&k| k < 0).then(|| {
            let keys = &self.keys;
            let valid = NullBuffer::new(BooleanBuffer::collect_bool(keys.len(), |i| keys[i] >= 0));
            self.keys.iter_mut().for_each(|k| *k = (*k).max(0));
            valid
        });
        let keys = Int32Array::new(self.keys.into(), nulls);
        DictionaryArray::try_new(keys, Arc::new(values)).map_err(err)
    }
}

/// Columns under construction.
pub(crate) struct Rows {
    /// Distinguishes these columns' keys in the actors' and codes' caches.
    owner: u64,
    prefix: &'static str,
    origin: &'static str,
    /// Reused for building ids.
    scratch: String,
    id: StringBuilder,
    date: Vec<i32>,
    source: DictBuilder,
    target: DictBuilder,
    source_country: DictBuilder,
    target_country: DictBuilder,
    source_name: DictBuilder,
    target_name: DictBuilder,
    source_raw: DictBuilder,
    target_raw: DictBuilder,
    code: DictBuilder,
    root_code: DictBuilder,
    plover: DictBuilder,
    quad_class: Vec<u8>,
    goldstein: Vec<f64>,
    mentions: Vec<u32>,
    reported: Vec<Option<i32>>,
    location_name: DictBuilder,
    location_country: DictBuilder,
    location_valid: Vec<bool>,
    doc_id: DictBuilder,
    sentence: Vec<Option<u32>>,
}

/// A column of optional values, its nulls made 64 rows a word.
fn optional<T: ArrowPrimitiveType>(values: &[Option<T::Native>]) -> PrimitiveArray<T> {
    let nulls = values
        .iter()
        .any(Option::is_none)
        .then(|| NullBuffer::new(BooleanBuffer::collect_bool(values.len(), |i| values[i].is_some())));
    PrimitiveArray::new(values.iter().map(|v| v.unwrap_or_default()).collect(), nulls)
}

/// Zero bytes for `n` rows, shared by the columns imports leave at their default (keys of a
/// constant, offsets of empty lists, null and false bits): one allocation instead of one per
/// column, about 8 MB fewer for a write of 250,000 rows.
struct Zeros {
    bytes: Buffer,
    n: usize,
}

impl Zeros {
    fn new(n: usize) -> Zeros {
        // Room for the widest use: two u32 per row (an empty span).
        Zeros { bytes: MutableBuffer::from_len_zeroed(8 * (n + 1)).into(), n }
    }

    /// `len` zero values of a 4-byte type.
    fn scalars<T: arrow_buffer::ArrowNativeType>(&self, len: usize) -> ScalarBuffer<T> {
        ScalarBuffer::new(self.bytes.clone(), 0, len)
    }

    /// `n` bits, all unset.
    fn bits(&self) -> BooleanBuffer {
        BooleanBuffer::new(self.bytes.clone(), 0, self.n)
    }

    /// `n` null entries.
    fn nulls(&self) -> NullBuffer {
        NullBuffer::new(self.bits())
    }

    /// A dictionary column holding `value` in every row.
    fn constant(&self, value: &str) -> ArrayRef {
        let keys = Int32Array::new(self.scalars(self.n), None);
        Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::new(StringArray::from(vec![value]))))
    }

    /// A list column of empty lists of strings.
    fn empty_lists(&self) -> ArrayRef {
        let item = Arc::new(Field::new("item", DataType::Utf8, true));
        let offsets = OffsetBuffer::new(self.scalars(self.n + 1));
        Arc::new(ListArray::new(item, offsets, Arc::new(StringArray::from(Vec::<&str>::new())), None))
    }

    /// A dictionary column of nulls.
    fn null_dict(&self) -> ArrayRef {
        let keys = Int32Array::new(self.scalars(self.n), Some(self.nulls()));
        Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::new(StringArray::from(Vec::<&str>::new()))))
    }
}

/// The key of an optional value in a column, from its cache when it has one.
fn cached_key(owner: u64, column: &mut DictBuilder, value: Option<&str>, cache: Option<&CachedKeys<1>>) -> i32 {
    match cache {
        Some(c) => c.get_or(owner, || [column.key_of(value)])[0],
        None => column.key_of(value),
    }
}

/// The keys of an actor in one side's (code, country, raw code) columns.
fn actor_keys(
    owner: u64,
    actor: Option<&Actor>,
    cache: impl Fn(&Actor) -> &CachedKeys<3>,
    code: &mut DictBuilder,
    country: &mut DictBuilder,
    raw: &mut DictBuilder,
) -> [i32; 3] {
    match actor {
        None => [NULL_KEY; 3],
        Some(a) => cache(a)
            .get_or(owner, || [code.key(&a.code), country.key_of(a.country.as_deref()), raw.key_of(a.raw.as_deref())]),
    }
}

impl Rows {
    /// Empty columns for rows of one origin (`gdelt`, `icews`, `polecat`).
    pub(crate) fn new(origin: &'static str, prefix: &'static str, capacity: usize) -> Rows {
        static OWNERS: AtomicU64 = AtomicU64::new(1);
        // Codes and countries are few; names and places many; a document (GDELT's URL) has
        // about three events.
        let dict = || DictBuilder::new(capacity, 64, 24);
        let many = || DictBuilder::new(capacity, capacity / 8, 32);
        Rows {
            owner: OWNERS.fetch_add(1, Ordering::Relaxed),
            prefix,
            origin,
            scratch: String::new(),
            id: StringBuilder::with_capacity(capacity, capacity * 16),
            date: Vec::with_capacity(capacity),
            source: dict(),
            target: dict(),
            source_country: dict(),
            target_country: dict(),
            source_name: many(),
            target_name: many(),
            source_raw: dict(),
            target_raw: dict(),
            code: dict(),
            root_code: dict(),
            plover: dict(),
            quad_class: Vec::with_capacity(capacity),
            goldstein: Vec::with_capacity(capacity),
            mentions: Vec::with_capacity(capacity),
            reported: Vec::with_capacity(capacity),
            location_name: many(),
            location_country: dict(),
            location_valid: Vec::with_capacity(capacity),
            // URLs: GDELT's run to 100 bytes and more.
            doc_id: DictBuilder::new(capacity, capacity / 2, 128),
            sentence: Vec::with_capacity(capacity),
        }
    }

    /// Rows so far.
    pub(crate) fn len(&self) -> usize {
        self.date.len()
    }

    /// True when empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.date.is_empty()
    }

    /// Appends one row.
    pub(crate) fn push(&mut self, r: &Row<'_>) {
        let id = &mut self.scratch;
        id.clear();
        id.push_str(self.prefix);
        id.push_str(r.id);
        if let Some(s) = r.id_suffix {
            id.push(':');
            id.push_str(s);
        }
        self.id.append_value(id.as_str());
        self.date.push(r.date);
        let owner = self.owner;
        let [code, country, raw] = actor_keys(
            owner,
            r.source,
            |a| &a.as_source,
            &mut self.source,
            &mut self.source_country,
            &mut self.source_raw,
        );
        self.source.push_key(code);
        self.source_country.push_key(country);
        self.source_raw.push_key(raw);
        let [code, country, raw] = actor_keys(
            owner,
            r.target,
            |a| &a.as_target,
            &mut self.target,
            &mut self.target_country,
            &mut self.target_raw,
        );
        self.target.push_key(code);
        self.target_country.push_key(country);
        self.target_raw.push_key(raw);
        let key = cached_key(owner, &mut self.source_name, r.source_name, r.source_name_keys);
        self.source_name.push_key(key);
        let key = cached_key(owner, &mut self.target_name, r.target_name, r.target_name_keys);
        self.target_name.push_key(key);
        let c = r.code;
        let [code, root, plover] = c.keys.get_or(owner, || {
            [self.code.key(&c.code), self.root_code.key(&c.root), self.plover.key_of(c.plover.as_deref())]
        });
        self.code.push_key(code);
        self.root_code.push_key(root);
        match r.plover {
            Some(p) => self.plover.push(Some(p)),
            None => self.plover.push_key(plover),
        }
        self.quad_class.push(c.quad);
        self.goldstein.push(r.goldstein);
        self.mentions.push(r.mentions.max(1));
        self.reported.push(r.reported);
        let (names, countries) = (&mut self.location_name, &mut self.location_country);
        let mut place = || [names.key_of(r.location_name), countries.key_of(r.location_country)];
        let [name, country] = match r.place_keys {
            Some(cache) => cache.get_or(owner, place),
            None => place(),
        };
        self.location_name.push_key(name);
        self.location_country.push_key(country);
        self.location_valid.push(r.location_name.is_some() || r.location_country.is_some());
        self.doc_id.push(r.doc_id);
        self.sentence.push(r.sentence);
    }

    /// The batch, in the store's event schema.
    pub(crate) fn finish(mut self) -> Result<RecordBatch> {
        let location_name = std::mem::replace(&mut self.location_name, DictBuilder::new(0, 0, 0));
        let location_country = std::mem::replace(&mut self.location_country, DictBuilder::new(0, 0, 0));
        let n = self.len();
        let err = |e: arrow_schema::ArrowError| Error::Internal(format!("arrow: {e}"));
        let location_fields = match event_schema().field_with_name("location").map(|f| f.data_type().clone()) {
            Ok(DataType::Struct(f)) => f,
            _ => return Err(Error::Internal("event schema without a location struct".into())),
        };
        let location = StructArray::try_new(
            location_fields,
            vec![Arc::new(location_name.finish()?), Arc::new(location_country.finish()?)],
            Some(NullBuffer::new(BooleanBuffer::collect_bool(n, |i| self.location_valid[i]))),
        )
        .map_err(err)?;
        let zeros = Zeros::new(n);
        let span_item = Arc::new(Field::new("item", DataType::UInt32, false));
        let span = FixedSizeListArray::try_new(
            span_item,
            2,
            Arc::new(UInt32Array::new(zeros.scalars(2 * n), None)),
            Some(zeros.nulls()),
        )
        .map_err(err)?;
        let falses = || -> ArrayRef { Arc::new(BooleanArray::new(zeros.bits(), None)) };
        let sentence = if self.sentence.iter().all(Option::is_none) {
            UInt32Array::new(zeros.scalars(n), Some(zeros.nulls()))
        } else {
            optional::<UInt32Type>(&self.sentence)
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(Date32Array::from(std::mem::take(&mut self.date))),
            zeros.constant("day"),
            Arc::new(self.source.finish()?),
            Arc::new(self.target.finish()?),
            Arc::new(self.source_country.finish()?),
            Arc::new(self.target_country.finish()?),
            Arc::new(self.source_name.finish()?),
            Arc::new(self.target_name.finish()?),
            Arc::new(self.source_raw.finish()?),
            Arc::new(self.target_raw.finish()?),
            Arc::new(self.code.finish()?),
            Arc::new(self.root_code.finish()?),
            Arc::new(BooleanArray::new(BooleanBuffer::new_set(n), None)),
            Arc::new(self.plover.finish()?),
            Arc::new(UInt8Array::from(std::mem::take(&mut self.quad_class))),
            Arc::new(Float64Array::from(std::mem::take(&mut self.goldstein))),
            Arc::new(location),
            zeros.empty_lists(),
            falses(),
            falses(),
            Arc::new(StringArray::new(
                OffsetBuffer::new(zeros.scalars(n + 1)),
                Buffer::from(Vec::<u8>::new()),
                Some(zeros.nulls()),
            )),
            zeros.empty_lists(),
            Arc::new(optional::<Date32Type>(&self.reported)),
            Arc::new(self.doc_id.finish()?),
            Arc::new(sentence),
            zeros.null_dict(),
            Arc::new(span),
            zeros.null_dict(),
            Arc::new(UInt32Array::from(std::mem::take(&mut self.mentions))),
            zeros.constant(self.origin),
        ];
        RecordBatch::try_new(event_schema(), columns).map_err(err)
    }
}
