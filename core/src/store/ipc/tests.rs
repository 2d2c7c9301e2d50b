//! Tests of the segment file format: the bulk checks against arrow's own, columns stored as
//! the null type, and damaged files read as errors, never crashes.

use super::check::{check_array, check_utf8};
use super::stored::SAME;
use super::*;
use crate::domain::columnar::{event_schema, events_to_batch};
use arrow_array::types::Int32Type;
use arrow_array::{Array, DictionaryArray, Int32Array, NullArray, StringArray};
use arrow_data::ArrayData;
use arrow_schema::{DataType, Field, FieldRef, Schema};
use std::collections::HashMap;

/// A segment file's batch, checked (checksum and values) as the store reads it.
fn read_ipc_mmap(path: &Path) -> Result<RecordBatch> {
    Ok(read_segment(path, false)?.batch)
}

fn batch() -> RecordBatch {
    let ev = |id, s, t| super::super::tests::ev(id, "2023-05-10", s, t, "040");
    events_to_batch(&[ev("a", "TURGOV", "SYRGOV"), ev("b", "RUSGOV", "IRNGOV"), ev("c", "TURGOV", "RUSGOV")])
        .expect("batch")
}

/// A batch written as a segment file at `path` (as a store writes it), and read back.
fn store(path: &Path, batch: &RecordBatch) -> (u64, RecordBatch) {
    let meta = SegmentMeta {
        format: super::super::SCHEMA_VERSION,
        seq: 1,
        first_seq: 1,
        base: 0,
        rows: batch.num_rows() as u64,
        generation: 1,
        removed: Vec::new(),
        imports: Vec::new(),
    };
    write_segment_file(File::create(path).expect("file"), batch, &meta).expect("write");
    let read = read_segment(path, false).expect("read back");
    assert_eq!(read.meta, Some(meta));
    (std::fs::metadata(path).expect("size").len(), read.batch)
}

/// Writes a batch as a segment file, unchecked (arrow's writer checks what it can).
fn write_file(path: &Path, batch: &RecordBatch) {
    let mut w = FileWriter::try_new(File::create(path).expect("file"), &event_schema()).expect("writer");
    w.write(batch).expect("write");
    w.finish().expect("finish");
}

/// Writes a batch in its own schema.
fn write_file_as(path: &Path, batch: &RecordBatch) {
    let mut w = FileWriter::try_new(File::create(path).expect("file"), &batch.schema()).expect("writer");
    w.write(batch).expect("write");
    w.finish().expect("finish");
}

/// The batch with its `source` column's keys replaced (arrow's unchecked constructor: what
/// a damaged file decodes to).
fn with_source_keys(keys: Int32Array) -> RecordBatch {
    let b = batch();
    let at = b.schema().index_of("source").expect("source");
    let values = Arc::new(StringArray::from(vec!["TURGOV", "RUSGOV"]));
    // SAFETY: a test of the checks that must catch such arrays; never read.
    let bad = unsafe { DictionaryArray::<Int32Type>::new_unchecked(keys, values) };
    let mut columns = b.columns().to_vec();
    columns[at] = Arc::new(bad);
    RecordBatch::try_new(b.schema(), columns).expect("same types and lengths")
}

#[test]
fn segments_are_checked_like_arrow_checks_them() {
    assert!(check_segment(&batch()).is_ok());
    // A key past the dictionary: refused.
    assert!(check_segment(&with_source_keys(Int32Array::from(vec![0, 5, 1]))).is_err());
    assert!(check_segment(&with_source_keys(Int32Array::from(vec![0, -1, 1]))).is_err());
    // A wild key under a null: arrow allows it, and so does the exact check it falls back to.
    assert!(check_segment(&with_source_keys(Int32Array::from(vec![Some(0), None, Some(1)]))).is_ok());
    let wild_null = Int32Array::new(vec![0, 99, 1].into(), Some(vec![true, false, true].into()));
    assert!(check_segment(&with_source_keys(wild_null)).is_ok());
}

#[test]
fn strings_are_checked_like_arrow_checks_them() {
    // (offsets, bytes): valid, then broken in each way a damaged file can break them.
    let cases: Vec<(Vec<i32>, &[u8])> = vec![
        (vec![0, 3, 3, 8], b"abcd\xc3\xa9fg"),
        (vec![2, 3, 7], b"xxa\xc3\xa9\xc3\xa9"),
        (vec![0, 3, 8], b"abcd\xc3\x28fg"),
        (vec![0, 5, 8], b"abcd\xc3\xa9fg"),
        (vec![0, 3, 5], b"abcd\xc3\xa9fg"),
        (vec![0, 6, 3], b"abcd\xc3\xa9fg"),
        (vec![0, 3, 9], b"abcd\xc3\xa9fg"),
        (vec![-1, 3, 8], b"abcd\xc3\xa9fg"),
        (vec![0, 3, 8], b"ab\xffd\xc3\xa9fg"),
    ];
    // Arrays that start one offset in (a slice): the first reads offsets 1, 3, 5; the
    // second 9, 0, 1, out of order, where offsets 0, 1, 2 further on are in order.
    let sliced: Vec<(Vec<i32>, &[u8])> = vec![(vec![0, 1, 3, 5], b"abcdefghij"), (vec![0, 9, 0, 1, 2], b"abcdefghij")];
    let (mut ok, mut refused) = (0, 0);
    let all = cases.into_iter().map(|c| (0, c)).chain(sliced.into_iter().map(|c| (1, c)));
    for (offset, (offsets, bytes)) in all {
        let builder = ArrayData::builder(DataType::Utf8)
            .len(offsets.len() - 1 - offset)
            .offset(offset)
            .add_buffer(Buffer::from_vec(offsets.clone()))
            .add_buffer(Buffer::from_vec(bytes.to_vec()));
        // SAFETY: only checked, never read as strings.
        let data = unsafe { builder.build_unchecked() };
        let ours = check_utf8(&data).is_ok();
        assert_eq!(ours, data.validate_full().is_ok(), "{offsets:?} {bytes:?}");
        if ours {
            ok += 1;
        } else {
            refused += 1;
        }
    }
    assert_eq!((ok, refused), (3, 8));
}

#[test]
fn lists_are_checked_like_arrow_checks_them() {
    // List offsets over five strings: valid (empty lists among them), then out of order,
    // negative, or past the items; whole arrays and arrays sliced one list in.
    let cases: Vec<(usize, Vec<i32>)> = vec![
        (0, vec![0, 0, 2, 5]),
        (0, vec![0, 0, 0]),
        (1, vec![0, 2, 2, 4]),
        (0, vec![0, 3, 2, 5]),
        (0, vec![-1, 2, 5]),
        (0, vec![0, 2, 6]),
        (1, vec![0, 4, 1, 5]),
    ];
    let items = StringArray::from(vec!["a", "b", "c", "d", "e"]).into_data();
    let item = Arc::new(Field::new("item", DataType::Utf8, true));
    let mut verdicts = Vec::new();
    for (offset, offsets) in cases {
        let builder = ArrayData::builder(DataType::List(item.clone()))
            .len(offsets.len() - 1 - offset)
            .offset(offset)
            .add_buffer(Buffer::from_vec(offsets.clone()))
            .add_child_data(items.clone());
        // SAFETY: only checked, never read.
        let data = unsafe { builder.build_unchecked() };
        let ours = check_array(&data).is_ok();
        assert_eq!(ours, data.validate_full().is_ok(), "{offsets:?} from {offset}");
        verdicts.push(ours);
    }
    assert_eq!(verdicts, [true, true, true, false, false, false, false]);
}

#[test]
fn a_segment_with_a_bad_key_is_a_corrupt_store_not_a_panic() {
    // A valid file whose source keys (257, 258, 259 of 300 values) are then damaged on disk.
    let b = batch();
    let at = b.schema().index_of("source").expect("source");
    let names: Vec<String> = (0..300).map(|i| format!("ACTOR{i}")).collect();
    let source = DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(vec![257, 258, 259]),
        Arc::new(StringArray::from(names)),
    )
    .expect("valid");
    let mut columns = b.columns().to_vec();
    columns[at] = Arc::new(source);
    let good = RecordBatch::try_new(b.schema(), columns).expect("batch");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("00000001.arrow");
    write_file(&path, &good);
    assert_eq!(read_ipc_mmap(&path).expect("read").num_rows(), 3);
    let mut bytes = std::fs::read(&path).expect("bytes");
    let keys: Vec<u8> = [257i32, 258, 259].iter().flat_map(|k| k.to_le_bytes()).collect();
    let at = bytes.windows(keys.len()).position(|w| w == keys.as_slice()).expect("the keys in the file");
    bytes[at + 4..at + 8].copy_from_slice(&7_000_000i32.to_le_bytes());
    std::fs::write(&path, &bytes).expect("damage");
    match read_ipc_mmap(&path) {
        Err(Error::Corrupt { message, .. }) => assert!(message.contains("out of bounds"), "{message}"),
        other => panic!("expected a corrupt segment, got {other:?}"),
    }
}

#[test]
fn empty_columns_are_stored_without_buffers_and_read_back_as_nulls() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = batch();
    let path = dir.path().join("00000001.arrow");
    let (bytes, written) = store(&path, &b);
    assert_eq!(written, b, "the batch read back as it was written");
    let file = arrow_ipc::reader::FileReader::try_new(File::open(&path).expect("open"), None).expect("ipc");
    let schema = file.schema();
    let nulls: Vec<&str> =
        schema.fields().iter().filter(|f| f.data_type() == &DataType::Null).map(|f| f.name().as_str()).collect();
    // Coded-event columns an event made by hand leaves empty; never a column with values.
    for empty in ["group", "sentence", "evidence", "span", "rule"] {
        assert!(nulls.contains(&empty), "{empty} in {nulls:?}");
    }
    for full in ["id", "source", "date", "goldstein"] {
        assert!(!nulls.contains(&full), "{full}");
    }
    // Smaller than the batch written whole, and read back as the same event batch.
    let whole = dir.path().join("whole.arrow");
    write_file(&whole, &b);
    assert!(bytes < std::fs::metadata(&whole).expect("size").len());
    let back = read_ipc_mmap(&path).expect("read");
    assert_eq!(back.schema(), event_schema());
    assert_eq!(back, b);
    assert_eq!(read_ipc_mmap(&whole).expect("whole"), b);
    // Only a nullable column may be stored as nulls.
    let id_as_null: Vec<FieldRef> = event_schema()
        .fields()
        .iter()
        .map(|f| if f.name() == "id" { Arc::new(Field::new("id", DataType::Null, true)) } else { f.clone() })
        .collect();
    assert!(!is_stored_schema(&Schema::new(id_as_null)));
    assert!(is_stored_schema(&schema));
}

/// The batch with one of its dictionary columns replaced.
fn with_column(name: &str, column: DictionaryArray<Int32Type>) -> RecordBatch {
    let b = batch();
    let at = b.schema().index_of(name).expect("column");
    let mut columns = b.columns().to_vec();
    columns[at] = Arc::new(column);
    RecordBatch::try_new(b.schema(), columns).expect("same types and lengths")
}

/// The value a segment file's column is stored as, if it is stored as one value.
fn same_in(path: &Path, column: &str) -> Option<String> {
    let file = arrow_ipc::reader::FileReader::try_new(File::open(path).expect("open"), None).expect("ipc");
    let field = file.schema().field_with_name(column).expect("column").clone();
    field.metadata().get(SAME).cloned().filter(|_| field.data_type() == &DataType::Null)
}

#[test]
fn columns_of_one_value_are_stored_once_and_read_back_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = batch();
    let path = dir.path().join("00000001.arrow");
    let (_, written) = store(&path, &b);
    assert_eq!(written, b, "read back as it was written");
    // Three events of one code, origin and precision, none with topics or participants.
    let origin = b.column_by_name("origin").and_then(|c| arrow_cast::display::array_value_to_string(c, 0).ok());
    assert_eq!(same_in(&path, "origin"), origin);
    assert_eq!(same_in(&path, "code").as_deref(), Some("040"));
    assert_eq!(same_in(&path, "date_precision").as_deref(), Some("day"));
    assert_eq!(same_in(&path, "topics").as_deref(), Some(""));
    assert_eq!(same_in(&path, "participants").as_deref(), Some(""));
    // Columns whose rows differ, and columns of other types, are stored as they are.
    for differ in ["id", "source", "target", "date", "goldstein", "quad_class", "mentions"] {
        assert_eq!(same_in(&path, differ), None, "{differ}");
    }
    let back = read_ipc_mmap(&path).expect("read");
    assert_eq!(back.schema(), event_schema());
    assert_eq!(back, b);

    // Keys all pointing at one value of a larger dictionary (a merged segment's): stored as
    // that value. One key elsewhere, or one null: stored as it is.
    let keyed = |keys: Vec<Option<i32>>| {
        DictionaryArray::<Int32Type>::try_new(keys.into(), Arc::new(StringArray::from(vec!["TURGOV", "SYRGOV"])))
            .expect("keys")
    };
    let keyed_twice = |keys: Vec<Option<i32>>| {
        let values = StringArray::from(vec!["SYRGOV", "TURGOV", "SYRGOV"]);
        DictionaryArray::<Int32Type>::try_new(keys.into(), Arc::new(values)).expect("keys")
    };
    for (column, keys, same) in [
        (keyed(vec![Some(1), Some(1), Some(1)]), "1 1 1", Some("SYRGOV")),
        (keyed(vec![Some(1), Some(0), Some(1)]), "1 0 1", None),
        (keyed(vec![Some(1), None, Some(1)]), "1 null 1", None),
        // Batches joined: the value twice in the dictionary.
        (keyed_twice(vec![Some(0), Some(2), Some(0)]), "0 2 0 of a value twice", Some("SYRGOV")),
        (keyed_twice(vec![Some(0), Some(2), Some(1)]), "0 2 1 of a value twice", None),
        // Keys at a null value: nulls, not one value.
        (
            DictionaryArray::<Int32Type>::try_new(
                vec![0, 0, 0].into(),
                Arc::new(StringArray::from(vec![None, Some("SYRGOV")])),
            )
            .expect("keys"),
            "0 0 0 of a null value",
            None,
        ),
    ] {
        let b = with_column("source", column);
        let path = dir.path().join("keyed.arrow");
        write_file_as(&path, &to_stored(&b).expect("stored"));
        assert_eq!(same_in(&path, "source").as_deref(), same, "{keys:?}");
        assert_eq!(read_ipc_mmap(&path).expect("read"), b, "{keys:?}");
    }

    // No rows: nothing to store as one value.
    let none = b.slice(0, 0);
    assert!(to_stored(&none).expect("stored").schema().fields().iter().all(|f| f.metadata().is_empty()));

    // One value where the event schema has none (a number), or a list that is not empty:
    // a damaged file, refused on reading.
    let stored = to_stored(&b).expect("stored");
    for (column, value) in [("goldstein", "1.0"), ("topics", "[\"x\"]"), ("date", "2023-05-10")] {
        let fields: Vec<FieldRef> = stored
            .schema()
            .fields()
            .iter()
            .map(|f| {
                if f.name() != column {
                    return f.clone();
                }
                let same = HashMap::from([(SAME.to_string(), value.to_string())]);
                Arc::new(Field::new(column, DataType::Null, true).with_metadata(same))
            })
            .collect();
        let mut columns = stored.columns().to_vec();
        columns[stored.schema().index_of(column).expect("column")] = Arc::new(NullArray::new(b.num_rows()));
        let bad = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch");
        let path = dir.path().join("bad.arrow");
        write_file_as(&path, &bad);
        assert!(matches!(read_ipc_mmap(&path), Err(Error::Corrupt { .. })), "{column}");
    }
}

#[test]
fn a_damaged_segment_is_an_error_or_reads_never_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("00000001.arrow");
    // A file written whole (as stores before empty columns were left out hold them), and
    // one as stores write them now.
    write_file(&path, &batch());
    let whole = std::fs::read(&path).expect("bytes");
    let stored_path = dir.path().join("stored.arrow");
    write_file_as(&stored_path, &to_stored(&batch()).expect("stored"));
    let stored = std::fs::read(&stored_path).expect("bytes");
    let (mut refused, mut read) = (0, 0);
    // Bytes all over the file (metadata, buffers, footer) set to values that break lengths,
    // offsets and keys: every outcome is a batch that passes the checks or a corrupt-store
    // error, never a crash.
    for (good, at) in [&whole, &stored].into_iter().flat_map(|g| (0..g.len()).step_by(5).map(move |at| (g, at))) {
        for value in [0xff, 0x7f, 0x00] {
            let mut bytes = good.clone();
            if bytes[at] == value {
                continue;
            }
            bytes[at] = value;
            std::fs::write(&path, &bytes).expect("write");
            match read_ipc_mmap(&path) {
                Ok(b) => {
                    read += 1;
                    assert!(check_segment(&b).is_ok());
                }
                Err(Error::Corrupt { .. }) => refused += 1,
                Err(e) => panic!("byte {at} = {value:#x}: {e:?}"),
            }
        }
    }
    assert!(refused > 100 && read > 0, "{refused} refused, {read} read");
}
