//! Tests of shards and JSONL files ([`super`]).

use super::*;
use crate::records::Attempt;
use proptest::prelude::*;
use serde_json::{json, Value};

fn attempts(n: u32) -> Vec<Attempt> {
    (0..n)
        .map(|i| {
            Attempt::from_completion(
                "3f9c0a1b2d4e5f60",
                i,
                format!("<think>\n{i} * 2 = {}\n</think>\nAnswer: {}", i * 2, i * 2),
            )
        })
        .collect()
}

fn write_shard(path: &Path, records: &[Attempt]) -> ShardInfo {
    let mut w = ShardWriter::create(path).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap()
}

fn read_all<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, DataError> {
    read_shard(path)?.collect()
}

#[test]
fn round_trip_with_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("attempts/a.jsonl.zst");
    let recs = attempts(50);
    let info = write_shard(&path, &recs);
    assert_eq!(info.records, 50);
    assert_eq!(info.path, path);
    assert_eq!(info.bytes, std::fs::metadata(&path).unwrap().len());
    assert_eq!(info.sha256, sha256_file(&path).unwrap());
    let side = std::fs::read_to_string(sidecar_path(&path)).unwrap();
    assert_eq!(side, format!("{}  a.jsonl.zst\n", info.sha256));
    assert_eq!(read_all::<Attempt>(&path).unwrap(), recs);
    assert_eq!(read_jsonl::<Attempt>(&path).unwrap(), recs);
    assert_eq!(verify_shard(&path).unwrap(), info);
    // Only the shard and its sidecar are left in the directory: no temporary files.
    let mut names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.jsonl.zst", "a.jsonl.zst.sha256"]);
}

#[test]
fn empty_shard_is_a_valid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl.zst");
    let info = write_shard(&path, &[]);
    assert_eq!(info.records, 0);
    assert!(info.bytes > 0);
    assert!(read_all::<Value>(&path).unwrap().is_empty());
    // A zero-byte file is not an empty shard: it was never completed.
    std::fs::write(&path, b"").unwrap();
    std::fs::remove_file(sidecar_path(&path)).unwrap();
    let err = read_shard::<Value>(&path).err().unwrap().to_string();
    assert!(
        err.contains("e.jsonl.zst") && err.contains("empty file"),
        "{err}"
    );
}

#[test]
fn same_records_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let recs = attempts(200);
    let a = write_shard(&dir.path().join("a.jsonl.zst"), &recs);
    let b = write_shard(&dir.path().join("sub/b.jsonl.zst"), &recs);
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(
        std::fs::read(dir.path().join("a.jsonl.zst")).unwrap(),
        std::fs::read(dir.path().join("sub/b.jsonl.zst")).unwrap()
    );
    let c = write_shard(&dir.path().join("c.jsonl.zst"), &recs[1..]);
    assert_ne!(a.sha256, c.sha256);
}

#[test]
fn drop_without_finish_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl.zst");
    {
        let mut w = ShardWriter::create(&path).unwrap();
        w.write(&json!({"a": 1})).unwrap();
        assert_eq!(w.records(), 1);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Also when an earlier version of the shard exists: it stays untouched.
    let info = write_shard(&path, &attempts(2));
    {
        let mut w = ShardWriter::create(&path).unwrap();
        w.write(&json!({"a": 1})).unwrap();
    }
    assert_eq!(verify_shard(&path).unwrap(), info);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// Names in `dir` (recursively, relative), sorted: what a reader or a crash would find.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            names.extend(
                names_in(&path)
                    .into_iter()
                    .map(|n| format!("{}/{n}", path.file_name().unwrap().to_string_lossy())),
            );
        } else {
            names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

#[test]
fn closed_shards_appear_only_when_committed() {
    let dir = tempfile::tempdir().unwrap();
    let recs = attempts(20);
    let closed: Vec<ClosedShard> = ["a/x.jsonl.zst", "b/y.jsonl.zst", "a/z.jsonl.zst"]
        .iter()
        .map(|name| {
            let mut w = ShardWriter::create(&dir.path().join(name)).unwrap();
            for r in &recs {
                w.write(r).unwrap();
            }
            w.close().unwrap()
        })
        .collect();
    // Closed but not committed: only temporary (hidden) names exist.
    assert!(names_in(dir.path()).iter().all(|n| n.contains("/.")));
    let expected: Vec<ShardInfo> = closed.iter().map(|c| c.info().clone()).collect();
    let infos = commit(closed).unwrap();
    assert_eq!(infos, expected);
    assert_eq!(
        names_in(dir.path()),
        [
            "a/x.jsonl.zst",
            "a/x.jsonl.zst.sha256",
            "a/z.jsonl.zst",
            "a/z.jsonl.zst.sha256",
            "b/y.jsonl.zst",
            "b/y.jsonl.zst.sha256"
        ]
    );
    for info in &infos {
        assert_eq!(sha256_file(&info.path).unwrap(), info.sha256);
        assert_eq!(read_all::<Attempt>(&info.path).unwrap(), recs);
    }
    // The same bytes as a shard finished in one step.
    let alone = write_shard(&dir.path().join("c/x.jsonl.zst"), &recs);
    assert_eq!(alone.sha256, infos[0].sha256);
}

#[test]
fn a_failed_commit_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let recs = attempts(5);
    let close = |name: &str| {
        let mut w = ShardWriter::create(&dir.path().join(name)).unwrap();
        for r in &recs {
            w.write(r).unwrap();
        }
        w.close().unwrap()
    };
    // The second shard's name is taken by a non-empty directory, so its rename fails.
    let (first, second, third) = (
        close("a.jsonl.zst"),
        close("b.jsonl.zst"),
        close("c.jsonl.zst"),
    );
    std::fs::create_dir_all(dir.path().join("b.jsonl.zst/inside")).unwrap();
    let err = commit(vec![first, second, third]).unwrap_err();
    assert!(err.to_string().contains("b.jsonl.zst"), "{err}");
    // The first is whole and in place. Besides it, only the second's sidecar (a reader checks
    // it against a shard that is not there) and the empty directory in the way: no temporary
    // file, not even the third's, which was never renamed.
    assert_eq!(
        names_in(dir.path()),
        ["a.jsonl.zst", "a.jsonl.zst.sha256", "b.jsonl.zst.sha256"]
    );
    assert_eq!(
        read_all::<Attempt>(&dir.path().join("a.jsonl.zst")).unwrap(),
        recs
    );
    // Dropping a closed shard uncommitted removes it too.
    drop(close("d.jsonl.zst"));
    assert!(!names_in(dir.path()).iter().any(|n| n.contains(".tmp")));
}

#[test]
fn encode_errors_name_the_record_and_leave_the_writer_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl.zst");
    let mut w = ShardWriter::create(&path).unwrap();
    w.write(&json!(1)).unwrap();
    // JSON object keys must be strings.
    let bad: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
    let err = w.write(&bad).unwrap_err().to_string();
    assert!(
        err.contains("x.jsonl.zst") && err.contains("record 1"),
        "{err}"
    );
    w.write(&json!(2)).unwrap();
    assert_eq!(w.finish().unwrap().records, 2);
    assert_eq!(read_all::<Value>(&path).unwrap(), vec![json!(1), json!(2)]);
}

/// Writes a shard of many distinct records (so the stream spans many blocks).
fn big_shard(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let recs = attempts(3000);
    write_shard(&path, &recs);
    path
}

fn expect_error_with_line(path: &Path, err: DataError) {
    let msg = err.to_string();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(msg.contains(&name), "{msg}");
    match err {
        DataError::CorruptAt { line, .. } | DataError::BadRecord { line, .. } => {
            assert!(
                line >= 1 && msg.contains(&format!("{name}:{line}:")),
                "{msg}"
            )
        }
        other => panic!("expected an error with a line, got {other}"),
    }
}

#[test]
fn truncated_shard_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for cut in [1usize, 7, 100, 5000] {
        let path = big_shard(dir.path(), "t.jsonl.zst");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - cut]).unwrap();
        // With the sidecar: caught before any record is read.
        let err = read_shard::<Attempt>(&path).err().unwrap();
        assert!(matches!(err, DataError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("t.jsonl.zst") && err.to_string().contains("sha256"));
        assert!(verify_shard(&path).is_err());
        // Without it: the stream itself reports the break, with the line.
        std::fs::remove_file(sidecar_path(&path)).unwrap();
        let mut reader = read_shard::<Attempt>(&path).unwrap();
        let err = reader
            .find_map(Result::err)
            .expect("truncation must be reported");
        expect_error_with_line(&path, err);
        assert!(
            reader.next().is_none(),
            "the stream ends after a corruption error"
        );
    }
}

#[test]
fn corrupted_shard_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = big_shard(dir.path(), "c.jsonl.zst");
    let clean = std::fs::read(&path).unwrap();
    let side = std::fs::read(sidecar_path(&path)).unwrap();
    let n = clean.len();
    for at in [n / 3, n / 2, n - 2] {
        let mut bytes = clean.clone();
        bytes[at] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        std::fs::write(sidecar_path(&path), &side).unwrap();
        let err = read_shard::<Attempt>(&path).err().unwrap().to_string();
        assert!(
            err.contains("c.jsonl.zst") && err.contains("sha256"),
            "{err}"
        );
        std::fs::remove_file(sidecar_path(&path)).unwrap();
        let err = read_all::<Attempt>(&path).expect_err("a flipped byte must be reported");
        expect_error_with_line(&path, err);
    }
}

#[test]
fn appended_bytes_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.jsonl.zst");
    write_shard(&path, &attempts(10));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"garbage after the frame");
    std::fs::write(&path, &bytes).unwrap();
    std::fs::remove_file(sidecar_path(&path)).unwrap();
    let err = read_all::<Attempt>(&path).expect_err("trailing garbage must be reported");
    expect_error_with_line(&path, err);
}

/// A reader that fails after some bytes, as a broken gzip stream would.
struct Failing(std::io::Cursor<Vec<u8>>);

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "stream ended early",
            ));
        }
        Ok(n)
    }
}

#[test]
fn reader_errors_from_other_decoders_name_the_line() {
    let data = b"{\"a\": 1}\n{\"a\": 2}\n{\"a\"".to_vec();
    let mut r = read_jsonl_from::<Value, _>(Failing(std::io::Cursor::new(data)), "in.jsonl.gz");
    assert_eq!(r.next().unwrap().unwrap(), json!({"a": 1}));
    assert_eq!(r.next().unwrap().unwrap(), json!({"a": 2}));
    let err = r.next().unwrap().unwrap_err().to_string();
    assert!(
        err.starts_with("in.jsonl.gz:3: ") && err.contains("stream ended early"),
        "{err}"
    );
    assert!(r.next().is_none());
}

#[test]
fn bad_sidecars_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.jsonl.zst");
    write_shard(&path, &attempts(3));
    std::fs::write(sidecar_path(&path), "nonsense\n").unwrap();
    assert!(read_shard::<Attempt>(&path).is_err());
    let other = format!("{}  other.jsonl.zst\n", sha256_file(&path).unwrap());
    std::fs::write(sidecar_path(&path), other).unwrap();
    let err = read_shard::<Attempt>(&path).err().unwrap().to_string();
    assert!(err.contains("other.jsonl.zst"), "{err}");
    std::fs::remove_file(sidecar_path(&path)).unwrap();
    let err = verify_shard(&path).unwrap_err().to_string();
    assert!(err.contains("no checksum sidecar"), "{err}");
}

#[test]
fn jsonl_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jsonl");
    std::fs::write(&path, "{\"a\": 1}\n\n   \n{\"a\": oops}\n{\"a\": 3}").unwrap();
    let err = read_jsonl::<Value>(&path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:4: ", path.display())), "{err}");
    // Bad JSON does not end the stream: the caller may skip the line.
    let got: Vec<_> = open_jsonl::<Value>(&path).unwrap().collect();
    assert_eq!(got.len(), 3);
    assert!(got[1].is_err() && got[2].as_ref().unwrap() == &json!({"a": 3}));

    std::fs::write(&path, b"{\"a\": 1}\r\n{\"a\": \"\xff\"}\n").unwrap();
    let err = read_jsonl::<Value>(&path).unwrap_err().to_string();
    assert!(
        err.contains("in.jsonl:2:") && err.contains("UTF-8"),
        "{err}"
    );

    // Wrong record shape.
    std::fs::write(&path, "{\"a\": 1}\n").unwrap();
    let err = read_jsonl::<Attempt>(&path).unwrap_err().to_string();
    assert!(
        err.contains("in.jsonl:1:") && err.contains("missing field"),
        "{err}"
    );

    let gz = dir.path().join("x.jsonl.gz");
    std::fs::write(&gz, b"").unwrap();
    assert!(matches!(
        read_jsonl::<Value>(&gz),
        Err(DataError::Unsupported { .. })
    ));
    let missing = read_jsonl::<Value>(&dir.path().join("nope.jsonl"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.jsonl"), "{missing}");
}

#[test]
fn reader_line_numbers() {
    let data = "\n{\"a\": 1}\n\n{\"a\": 2}\n";
    let mut r = read_jsonl_from::<Value, _>(std::io::Cursor::new(data.to_string()), "<stdin>");
    assert_eq!(r.next().unwrap().unwrap(), json!({"a": 1}));
    assert_eq!(r.line(), 2);
    assert_eq!(r.next().unwrap().unwrap(), json!({"a": 2}));
    assert_eq!(r.line(), 4);
    assert!(r.next().is_none());
    assert_eq!(r.path(), Path::new("<stdin>"));
}

#[test]
fn write_jsonl_plain_and_zst() {
    let dir = tempfile::tempdir().unwrap();
    let recs = attempts(5);
    let plain = dir.path().join("out.jsonl");
    let info = write_jsonl(&plain, &recs).unwrap();
    assert_eq!(info.records, 5);
    let text = std::fs::read_to_string(&plain).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text.ends_with('\n'));
    assert_eq!(read_jsonl::<Attempt>(&plain).unwrap(), recs);
    let zst = dir.path().join("out.jsonl.zst");
    write_jsonl(&zst, &recs).unwrap();
    assert!(!sidecar_path(&zst).exists(), "user files get no sidecar");
    assert_eq!(
        zstd::decode_all(std::fs::File::open(&zst).unwrap()).unwrap(),
        text.as_bytes()
    );
    assert_eq!(read_jsonl::<Attempt>(&zst).unwrap(), recs);
}

#[test]
fn jsonl_writer_streams() {
    let mut w = JsonlWriter::new(Vec::new(), "<stdout>");
    w.write(&json!({"b": 1, "a": [1, 2]})).unwrap();
    w.write("text").unwrap();
    assert_eq!(w.records(), 2);
    let out = w.into_inner().unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"a\":[1,2],\"b\":1}\n\"text\"\n"
    );
}

#[test]
fn atomic_write_replaces_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("deep/er/f.txt");
    write_file_atomic(&p, b"one").unwrap();
    write_file_atomic(&p, b"two").unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"two");
    assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    assert!(write_file_atomic(Path::new("/"), b"x").is_err());
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|v| json!(v)),
        "(?s).{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z\n\"\\\\]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn shards_round_trip(records in prop::collection::vec(value(), 0..20)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.jsonl.zst");
        let mut w = ShardWriter::create(&p).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        let info = w.finish().unwrap();
        prop_assert_eq!(info.records as usize, records.len());
        let back: Vec<Value> = read_shard(&p).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&back, &records);
        // Same records, same bytes.
        let q = dir.path().join("q.jsonl.zst");
        let info2 = write_jsonl(&q, &records).unwrap();
        prop_assert_eq!(std::fs::read(&p).unwrap(), std::fs::read(&q).unwrap());
        prop_assert_eq!(info.sha256, info2.sha256);
    }
}
