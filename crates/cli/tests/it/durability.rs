//! Durable writes, checked on the real binary under `strace`: before an
//! upload is answered, the blob's file and every directory from it up to
//! the store's root are synced (`fsync`) after the rename that put it in
//! place; and so is each copy in the backup store. Without pulling power:
//! the system calls and their order are what a power loss would test.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::*;

/// One traced system call that finished.
#[derive(Debug)]
struct Call {
    /// order of completion
    at: usize,
    name: String,
    /// its arguments as strace printed them (fd paths with `-yy`)
    args: String,
}

/// The calls in an `strace -f -yy` log, in the order they completed
/// (an `<unfinished ...>` call completes at its `resumed` line).
fn calls(log: &str) -> Vec<Call> {
    let mut open: HashMap<String, (String, String)> = HashMap::new();
    let mut out = Vec::new();
    for line in log.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            if let Some((name, args)) = head.split_once('(') {
                open.insert(pid.to_string(), (name.to_string(), args.to_string()));
            }
            continue;
        }
        if rest.starts_with("<... ") {
            if let Some((name, args)) = open.remove(pid) {
                let ok = !rest.contains("= -1");
                if ok {
                    out.push(Call {
                        at: out.len(),
                        name,
                        args,
                    });
                }
            }
            continue;
        }
        if let Some((name, args)) = rest.split_once('(')
            && !rest.contains("= -1")
            && !rest.starts_with('+')
            && !rest.starts_with('-')
        {
            out.push(Call {
                at: out.len(),
                name: name.to_string(),
                args: args.to_string(),
            });
        }
    }
    out
}

/// Whether strace can trace here (installed, ptrace allowed).
fn strace_works() -> bool {
    Command::new("strace")
        .args(["-f", "-e", "trace=fsync", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Attaches strace to every thread of `pid`, writing to `out`; returns once
/// it has attached.
fn attach(pid: u32, out: &Path) -> std::process::Child {
    let mut child = Command::new("strace")
        .args([
            "-f",
            "-yy",
            "-s",
            "0",
            "-e",
            "trace=fsync,fdatasync,rename,renameat,renameat2,write,writev,sendto,sendmsg",
            "-o",
        ])
        .arg(out)
        .args(["-p", &pid.to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .expect("strace");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains("attached") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("strace attached");
    std::thread::sleep(Duration::from_millis(300));
    child
}

/// Checks that the blob renamed into `store` (a directory) was synced —
/// its file, then each directory up to `store` — after the rename and
/// before `deadline` (the index of the answer's first write, if any).
/// Returns the index of the last sync.
fn synced_after_rename(calls: &[Call], store: &Path, deadline: Option<usize>) -> usize {
    let store = store.to_string_lossy().to_string();
    let rename = calls
        .iter()
        .find(|c| c.name.starts_with("rename") && c.args.contains(&format!("{store}/")))
        .unwrap_or_else(|| panic!("no rename into {store}"));
    // The destination is the last quoted path of the call.
    let dest = rename
        .args
        .rsplit('"')
        .nth(1)
        .expect("destination path")
        .to_string();
    let mut wanted = vec![dest.clone()];
    let mut p = Path::new(&dest).parent();
    while let Some(d) = p {
        wanted.push(d.to_string_lossy().to_string());
        if d == Path::new(&store) {
            break;
        }
        p = d.parent();
    }
    assert_eq!(wanted.len(), 4, "file, ab/cd, ab and the root: {wanted:?}");
    let mut last = 0;
    for w in &wanted {
        let sync = calls
            .iter()
            .find(|c| {
                c.at > rename.at
                    && (c.name == "fsync" || c.name == "fdatasync")
                    && c.args.starts_with(|ch: char| ch.is_ascii_digit())
                    && c.args.contains(&format!("<{w}>"))
            })
            .unwrap_or_else(|| panic!("{w} never synced after the rename"));
        if let Some(d) = deadline {
            assert!(sync.at < d, "{w} synced only after the answer");
        }
        last = last.max(sync.at);
    }
    last
}

#[test]
fn uploads_are_on_stable_storage_before_the_answer() {
    if !strace_works() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: strace missing or ptrace refused"
        );
        eprintln!("SKIPPED uploads_are_on_stable_storage_before_the_answer: no working strace");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, token) = new_user(&s, &admin, "durable@example.org");
    let port = s.url.rsplit(':').next().expect("port").to_string();
    let trace = dir.path().join("strace.log");
    let mut strace = attach(s.child.id(), &trace);

    let photo = pixelunion_media::fixtures::plain_jpeg(640, 480, 9);
    let id = upload(&s, &token, "durable.jpg", &photo);
    settled(&s, &token, &id);
    wait_for("the backup copy", || {
        backup_status(&s)["replication_queued"] == 0
    });
    let _ = Command::new("kill")
        .args(["-INT", &strace.id().to_string()])
        .status();
    let _ = strace.wait();

    let log = std::fs::read_to_string(&trace).expect("strace log");
    let calls = calls(&log);
    // The answer: the first write to the client's connection after the
    // original's rename (HTTP/1.1 writes nothing before its answer).
    let primary = data.join("blobs/primary");
    let rename_at = calls
        .iter()
        .find(|c| {
            c.name.starts_with("rename") && c.args.contains(&format!("{}/", primary.display()))
        })
        .expect("the original renamed into place")
        .at;
    let answer = calls
        .iter()
        .find(|c| {
            c.at > rename_at
                && matches!(c.name.as_str(), "write" | "writev" | "sendto" | "sendmsg")
                && c.args.contains(&format!("TCP:[127.0.0.1:{port}->"))
        })
        .unwrap_or_else(|| panic!("no answer written on port {port}"))
        .at;
    synced_after_rename(&calls, &primary, Some(answer));
    // The backup copy too (before its job is recorded done).
    synced_after_rename(&calls, &data.join("blobs/backup"), None);
    s.stop();
}
