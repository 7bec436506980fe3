//! Two compute nodes on one PostgreSQL catalog and the two Garage clusters
//! (a primary and a backup site), behind a real load balancer: HAProxy,
//! re-encrypting TLS to each node (whose certificate it verifies), with
//! health checks on `/readyz` and the client's address in
//! `X-Forwarded-For`. Each node is unsealed with the shares; a sealed node
//! is out of rotation; a session, a TOTP step, the sign-in throttle, album
//! edits, search and a tus upload whose pieces alternate between the nodes
//! all behave as on one node; each media job runs once; request limits see
//! the client behind the balancer; and killing a node in the middle of an
//! upload loses nothing acknowledged: the client's retry through the
//! balancer completes on the other node.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::garage::Garage;
use crate::harness::tus::*;
use crate::harness::*;

/// The balancer connects to the nodes from this address (the only trusted
/// proxy), so that the test's own calls from 127.0.0.1 stay "local".
const BALANCER_SOURCE: &str = "127.0.0.2";
const PASSWORD: &str = "a long passphrase for the first account";
const USER_PASSWORD: &str = "a very long library passphrase";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn node_toml(database_url: &str, primary: &Garage, backup: &Garage) -> String {
    format!(
        "database_url = \"{database_url}\"\ntrusted_proxies = [\"{BALANCER_SOURCE}\"]\n\n\
         [init]\nshares = 3\nthreshold = 2\n\n[primary]\n{}\n[backup]\n{}\n",
        primary.toml(),
        backup.toml()
    )
}

/// Request limits lifted (the test polls faster than people) but the
/// client's, which the test measures: 50 a second, bursts of 300.
fn limits() -> Vec<(&'static str, &'static str)> {
    let mut env = LIFTED_LIMITS.to_vec();
    env.extend([
        ("PIXELUNION_LIMITS__CLIENT_PER_SEC", "50"),
        ("PIXELUNION_LIMITS__CLIENT_BURST", "300"),
    ]);
    env
}

fn port_of(s: &Server) -> &str {
    s.url.rsplit(':').next().expect("port")
}

/// HAProxy in front of `nodes`, on a free port, serving node A's
/// certificate (so the test's clients trust it as they trust the nodes).
fn balancer(dir: &std::path::Path, nodes: &[&Server]) -> (Child, String) {
    let tls = nodes[0].data.join("tls");
    let mut pem = std::fs::read(tls.join("cert.pem")).expect("cert");
    pem.extend(std::fs::read(tls.join("key.pem")).expect("key"));
    let pem_path = dir.join("balancer.pem");
    std::fs::write(&pem_path, pem).expect("balancer pem");
    let port = free_port();
    let mut servers = String::new();
    for (i, n) in nodes.iter().enumerate() {
        servers.push_str(&format!(
            "    server node{i} 127.0.0.1:{} ca-file {} check\n",
            port_of(n),
            n.data.join("tls/cert.pem").display()
        ));
    }
    let cfg = format!(
        "global\n    maxconn 2000\n\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 120s\n    timeout server 120s\n    \
         retries 3\n    option redispatch\n\n\
         frontend web\n    bind 127.0.0.1:{port} ssl crt {}\n    option forwardfor\n    default_backend nodes\n\n\
         backend nodes\n    balance roundrobin\n    option httpchk\n    \
         http-check send meth GET uri /readyz ver HTTP/1.1 hdr host 127.0.0.1\n    http-check expect status 200\n    \
         default-server inter 300ms fall 2 rise 2 ssl verify required source {BALANCER_SOURCE}\n{servers}",
        pem_path.display()
    );
    let cfg_path = dir.join("haproxy.cfg");
    std::fs::write(&cfg_path, cfg).expect("haproxy.cfg");
    let check = Command::new("haproxy")
        .args(["-c", "-f"])
        .arg(&cfg_path)
        .output()
        .expect("haproxy -c");
    assert!(
        check.status.success(),
        "haproxy -c: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let child = Command::new("haproxy")
        .args(["-db", "-f"])
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy");
    (child, format!("https://127.0.0.1:{port}"))
}

/// The sum of a counter's samples whose labels include every `label="value"`.
fn metric(node: &Server, name: &str, labels: &[(&str, &str)]) -> f64 {
    let r = node.call("GET", "/metrics").send();
    assert_eq!(r.status, 200, "metrics of a node, from its machine");
    r.text()
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// How many `method` requests to the route template `route` `node` answered.
fn served(node: &Server, method: &str, route: &str) -> f64 {
    metric(
        node,
        "pixelunion_http_requests_total",
        &[("method", method), ("route", route)],
    )
}

fn sealed(s: &Server) -> bool {
    let (st, v) = s.api("GET", "/api/v1/sys/status", None, None);
    assert_eq!(st, 200, "{v}");
    v["sealed"].as_bool().expect("sealed")
}

fn login(s: &Server, email: &str, password: &str, totp: Option<&str>) -> (u16, Value) {
    let mut body = json!({"email": email, "password": password, "bearer": true});
    if let Some(code) = totp {
        body["totp"] = json!(code);
    }
    s.api("POST", "/api/v1/auth/login", None, Some(body))
}

fn unseal(node: &Server, shares: &[String]) {
    for share in &shares[..2] {
        let out = node.cli(&node.data, "unseal", share);
        assert!(
            out.status.success(),
            "unseal: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(!sealed(node), "unsealed with two shares");
}

/// Waits until the balancer sends requests to `node` again (its health
/// checks passed): a request through the balancer lands there.
fn in_rotation(lb: &Server, node: &Server) {
    let before = served(node, "GET", "/api/v1/sys/status");
    wait_secs("the node back in rotation", 30, || {
        let _ = lb.get("/api/v1/sys/status");
        served(node, "GET", "/api/v1/sys/status") > before
    });
}

#[test]
fn two_nodes_behind_a_load_balancer() {
    let (Ok(pg), Some(primary), Some(backup)) = (
        std::env::var("PIXELUNION_TEST_POSTGRES_URL"),
        Garage::from_env("NODES_PRIMARY"),
        Garage::from_env("NODES_BACKUP"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the two-node test (PostgreSQL, and scripts/garage.sh start)"
        );
        eprintln!(
            "SKIPPED two_nodes_behind_a_load_balancer: set PIXELUNION_TEST_POSTGRES_URL and run scripts/garage.sh start"
        );
        return;
    };
    if Command::new("haproxy").arg("-v").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must install haproxy");
        eprintln!("SKIPPED two_nodes_behind_a_load_balancer: haproxy is not installed");
        return;
    }
    primary.empty();
    backup.empty();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = fresh_database(&pg, "two_nodes");
    let toml = node_toml(&url, &primary, &backup);
    let (data_a, data_b) = (dir.path().join("node-a"), dir.path().join("node-b"));
    for d in [&data_a, &data_b] {
        std::fs::create_dir_all(d).expect("data dir");
        std::fs::write(d.join("pixelunion.toml"), &toml).expect("config");
    }
    // The first node initialises the catalog and prints the shares; the
    // second finds it initialised and starts sealed.
    let a = Server::start_with(&data_a, &limits());
    let shares = shares_printed(&a);
    assert_eq!(shares.len(), 3);
    let mut b = Server::start_with(&data_b, &limits());
    assert!(!sealed(&a) && sealed(&b), "the second node starts sealed");
    let (child, lb_url) = balancer(dir.path(), &[&a, &b]);
    let cert_a = std::fs::read(data_a.join("tls/cert.pem")).expect("cert");
    let mut lb = Server::front(child, &lb_url, &a, &cert_a);
    wait_secs("the balancer", 30, || lb.get("/healthz").0 == 200);

    // A sealed node is out of rotation: everything lands on the other.
    wait_secs("the sealed node out of rotation", 30, || {
        (0..10).all(|_| !sealed(&lb))
    });
    for _ in 0..20 {
        assert!(!sealed(&lb), "no request reaches the sealed node");
    }

    // Unsealed with the shares, the second node joins.
    unseal(&b, &shares);
    in_rotation(&lb, &b);

    // Accounts, through the balancer: requests alternate between nodes.
    let admin_email = lb.printed("e-mail:");
    let (admin, secret) =
        setup_account(&lb, &admin_email, &lb.printed("password:"), PASSWORD, true);
    let secret = secret.expect("TOTP enrolled");
    let (_, ann) = new_user(&lb, &admin, "ann@example.org");
    let (_, _bob) = new_user(&lb, &admin, "bob@example.org");

    // A session made on one node works on the other, and a sign-in on
    // either node is seen by both.
    for node in [&a, &b] {
        let (st, v) = node.api("GET", "/api/v1/assets", Some(&ann), None);
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = login(&b, "ann@example.org", USER_PASSWORD, None);
    assert_eq!(st, 200, "{v}");
    let on_b = v["token"].as_str().expect("token").to_string();
    assert_eq!(a.api("GET", "/api/v1/assets", Some(&on_b), None).0, 200);
    // A sign-out on one node ends the session on both at once, however
    // busy the other was with it (nodes on PostgreSQL keep no looked-up
    // credentials, access-control.md).
    for _ in 0..10 {
        assert_eq!(a.api("GET", "/api/v1/assets", Some(&on_b), None).0, 200);
    }
    assert_eq!(
        b.api("POST", "/api/v1/auth/logout", Some(&on_b), None).0,
        200
    );
    assert_eq!(b.api("GET", "/api/v1/assets", Some(&on_b), None).0, 401);
    assert_eq!(a.api("GET", "/api/v1/assets", Some(&on_b), None).0, 401);

    // A TOTP step is used once across both nodes.
    let step = now_secs() / 30;
    wait_secs("a fresh TOTP step", 40, || now_secs() / 30 > step);
    let code = pixelunion_auth::mfa::code_at(&secret, now_secs()).expect("code");
    let (st, v) = login(&a, &admin_email, PASSWORD, Some(&code));
    assert_eq!(st, 200, "{v}");
    let (st, v) = login(&b, &admin_email, PASSWORD, Some(&code));
    assert_eq!(st, 401, "the same code on the other node is a replay: {v}");

    // The sign-in throttle is shared, and keyed on the client behind the
    // balancer (each "client" here is another loopback address).
    let before = (
        served(&a, "POST", "/api/v1/auth/login"),
        served(&b, "POST", "/api/v1/auth/login"),
    );
    lb.call_from("127.0.0.3", &cert_a);
    for _ in 0..5 {
        assert_eq!(login(&lb, "ann@example.org", "wrong", None).0, 401);
    }
    let (st, v) = login(&lb, "ann@example.org", USER_PASSWORD, None);
    assert_eq!(
        st, 429,
        "throttled after five failures, whichever node: {v}"
    );
    let (st, v) = login(&lb, "bob@example.org", USER_PASSWORD, None);
    assert_eq!(st, 429, "the client's address is throttled: {v}");
    lb.call_from("127.0.0.4", &cert_a);
    let (st, v) = login(&lb, "bob@example.org", USER_PASSWORD, None);
    assert_eq!(
        st, 200,
        "another client, another account: not throttled: {v}"
    );
    let (st, v) = login(&lb, "ann@example.org", USER_PASSWORD, None);
    assert_eq!(st, 429, "the account is throttled for every client: {v}");
    assert!(
        served(&a, "POST", "/api/v1/auth/login") > before.0 + 1.0
            && served(&b, "POST", "/api/v1/auth/login") > before.1 + 1.0,
        "the attempts were spread over both nodes"
    );

    // Request rate limits see the client behind the balancer, and are the
    // deployment's: the two serving nodes each enforce half, so a client
    // whose requests alternate between them gets what is configured, not
    // twice it; one client exhausting its limit leaves another untouched.
    for node in [&a, &b] {
        wait_secs("both nodes counted as serving", 30, || {
            metric(node, "pixelunion_nodes_serving", &[]) == 2.0
        });
    }
    lb.call_from("127.0.0.5", &cert_a);
    let started = Instant::now();
    let (mut ok, mut limited) = (0u32, 0u32);
    // until well limited (a slow machine refills more while it sends)
    while limited < 100 && ok + limited < 5000 {
        match lb.get("/healthz").0 {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!("rate limits: {ok} answered, {limited} limited in {secs:.2} s");
    assert!(
        limited > 0,
        "the client was limited ({ok} answered in {secs:.1} s)"
    );
    assert!(ok >= 240, "the limit is not smaller than configured: {ok}");
    let ceiling = 300.0 + 50.0 * (secs + 1.0);
    assert!(
        f64::from(ok) <= ceiling,
        "{ok} answered in {secs:.1} s: more than the deployment's limit ({ceiling:.0})"
    );
    lb.call_from("127.0.0.6", &cert_a);
    assert_eq!(lb.get("/healthz").0, 200, "another client is not limited");
    lb.call_from("127.0.0.1", &cert_a);

    // Album edits and search: what one node changes the other sees at once.
    let photo = |seed: u8| pixelunion_media::fixtures::plain_jpeg(320, 240, seed);
    let mut jpegs = Vec::new();
    for seed in 1..=4u8 {
        jpegs.push(upload(
            &lb,
            &ann,
            &format!("beach-{seed}.jpg"),
            &photo(seed),
        ));
    }
    let (st, v) = a.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(json!({"name": "Summer", "asset_ids": [jpegs[0], jpegs[1]]})),
    );
    assert_eq!(st, 201, "{v}");
    let album = v["id"].as_str().expect("album id").to_string();
    let (st, v) = b.api("GET", &format!("/api/v1/albums/{album}"), Some(&ann), None);
    assert_eq!((st, v["name"].as_str()), (200, Some("Summer")), "{v}");
    let (st, v) = b.api(
        "PATCH",
        &format!("/api/v1/albums/{album}"),
        Some(&ann),
        Some(json!({"name": "Summer 2026"})),
    );
    assert_eq!(st, 200, "{v}");
    let (_, v) = a.api("GET", &format!("/api/v1/albums/{album}"), Some(&ann), None);
    assert_eq!(v["name"].as_str(), Some("Summer 2026"), "{v}");
    let find = |node: &Server, q: &str| {
        let (st, v) = node.api("GET", &format!("/api/v1/search?q={q}"), Some(&ann), None);
        assert_eq!(st, 200, "{v}");
        v["items"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(find(&b, "harbour"), 0, "node B has built its index");
    let harbour = upload(&a, &ann, "harbour.jpg", &photo(9));
    jpegs.push(harbour);
    assert_eq!(
        find(&b, "harbour"),
        1,
        "node B sees node A's upload at once"
    );

    // A tus upload whose pieces alternate between the nodes.
    let file = noise_video(3 << 20, 11);
    let loc = create(&lb, &ann, file.len(), "harbour.mp4");
    let route = "/api/v1/uploads/{id}";
    let before = (served(&a, "PATCH", route), served(&b, "PATCH", route));
    let mut offset = 0;
    let mut asset = None;
    for piece in file.chunks(256 << 10) {
        let (st, h) = patch(&lb, &ann, &loc, offset, piece);
        assert_eq!(st, 204, "{h}");
        offset += piece.len();
        assert_eq!(header(&h, "upload-offset"), Some(offset.to_string()));
        asset = header(&h, "pixelunion-asset-id").or(asset);
    }
    let (after_a, after_b) = (served(&a, "PATCH", route), served(&b, "PATCH", route));
    assert!(
        after_a >= before.0 + 4.0 && after_b >= before.1 + 4.0,
        "PATCHes alternated: {} on A, {} on B",
        after_a - before.0,
        after_b - before.1
    );
    let asset = asset.expect("the last PATCH made the asset");
    let (_, original) = get_bytes(&lb, &ann, &format!("/api/v1/assets/{asset}/original"), &[]);
    assert!(original == file, "assembled across nodes, byte-exact");

    // Each media job ran once, on one node or the other.
    for id in &jpegs {
        assert_eq!(settled(&lb, &ann, id)["media"]["state"], "ready");
    }
    let processed = |n: &Server| {
        metric(
            n,
            "pixelunion_media_processing_seconds_count",
            &[("format", "image/jpeg"), ("outcome", "ready")],
        )
    };
    assert_eq!(
        processed(&a) + processed(&b),
        jpegs.len() as f64,
        "each photo processed exactly once across the nodes"
    );

    // Sealing one node leaves the other serving.
    let out = a.cli(&a.data, "seal", "");
    assert!(
        out.status.success(),
        "seal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_secs("the sealed node out of rotation", 30, || {
        (0..10).all(|_| lb.api("GET", "/api/v1/assets", Some(&ann), None).0 == 200)
    });
    for _ in 0..20 {
        let (st, v) = lb.api("GET", "/api/v1/assets", Some(&ann), None);
        assert_eq!(st, 200, "{v}");
    }

    // A node dies in the middle of an upload (everything goes to B while A
    // is sealed; A is unsealed while B receives, then B is killed): the
    // client's retry through the balancer lands on A, which resumes from
    // what was acknowledged.
    let file = noise_video(3 << 20, 12);
    let loc = create(&lb, &ann, file.len(), "ferry.mp4");
    let (st, h) = patch(&lb, &ann, &loc, 0, &file[..1 << 20]);
    assert_eq!(st, 204, "{h}");
    let acknowledged = 1 << 20;
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| {
            patch_call(&lb, &ann, &loc, acknowledged)
                .reader(throttled(file[acknowledged..].to_vec(), 256 << 10))
                .send()
                .status
        });
        std::thread::sleep(Duration::from_millis(1500));
        unseal(&a, &shares);
        in_rotation(&lb, &a);
        let _ = b.child.kill();
        let _ = b.child.wait();
        let status = slow.join().expect("the slow PATCH");
        assert_ne!(status, 204, "the node died before the piece ended");
    });
    let mut kept = 0;
    wait_secs("the upload's offset through the balancer", 30, || {
        let (st, h) = tus(&lb, &ann, "HEAD", &loc, &[]);
        kept = header(&h, "upload-offset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        st == 200 || st == 204
    });
    assert!(
        kept >= acknowledged,
        "nothing acknowledged is lost: resumes from {kept}"
    );
    // The dead node's hold on the upload runs out (at most 30 s): until
    // then the answer is 423 with Retry-After, as tus clients expect.
    let waited = Instant::now();
    let mut answer = patch(&lb, &ann, &loc, kept, &file[kept..]);
    for _ in 0..30 {
        if answer.0 != 423 {
            break;
        }
        assert_eq!(header(&answer.1, "retry-after").as_deref(), Some("5"));
        std::thread::sleep(Duration::from_secs(2));
        answer = patch(&lb, &ann, &loc, kept, &file[kept..]);
    }
    let (st, h) = answer;
    eprintln!(
        "killed mid-upload: resumed from {kept} of {} bytes after {:.1} s of 423",
        file.len(),
        waited.elapsed().as_secs_f64()
    );
    assert_eq!(st, 204, "{h}");
    let asset = header(&h, "pixelunion-asset-id").expect("asset");
    let (_, original) = get_bytes(&lb, &ann, &format!("/api/v1/assets/{asset}/original"), &[]);
    assert!(
        original == file,
        "completed on the surviving node, byte-exact"
    );

    drop(lb);
    a.stop();
    drop(b);
    psql(&pg, "DROP DATABASE IF EXISTS two_nodes");
}

/// `pixelunion serve` on `data` with `config` as its configuration file,
/// which must refuse to start: its log (killed after 60 s if it serves
/// instead).
fn refused_with(data: &std::path::Path, config: &str) -> String {
    std::fs::write(data.join("pixelunion.toml"), config).expect("config");
    let mut child = Command::new(BIN)
        .args(["serve", "--data-dir"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env("PIXELUNION_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let end = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("output");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "refused: {log}");
    log
}

fn claim(store: &std::path::Path) -> String {
    std::fs::read_to_string(store.join("meta/deployment")).expect("the store's claim")
}

#[test]
fn a_node_refuses_another_deployments_catalog_or_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    for d in [&one, &two] {
        Server::start(d).stop();
    }
    let (claim_one, claim_two) = (
        claim(&one.join("blobs/primary")),
        claim(&two.join("blobs/primary")),
    );
    assert_ne!(claim_one, claim_two, "two deployments, two ids");
    assert_eq!(claim(&one.join("blobs/backup")), claim_one);
    let record = std::fs::read_to_string(one.join("deployment")).expect("the node's record");
    assert!(claim_one.contains(record.trim()), "{record} / {claim_one}");

    // Deployment two pointed at deployment one's primary store.
    let log = refused_with(
        &two,
        &format!(
            "[primary]\nkind = \"local\"\npath = \"{}\"\n",
            one.join("blobs/primary").display()
        ),
    );
    assert!(
        log.contains("wrong deployment") && log.contains("primary store"),
        "the message names the store: {log}"
    );
    assert_eq!(
        claim(&one.join("blobs/primary")),
        claim_one,
        "nothing changed"
    );

    // Deployment two's node pointed at deployment one's catalog.
    let log = refused_with(
        &two,
        &format!(
            "database_url = \"sqlite://{}\"\n",
            one.join("catalog.sqlite").display()
        ),
    );
    assert!(
        log.contains("wrong deployment") && log.contains("data directory"),
        "the message names the data directory: {log}"
    );

    // Its own configuration again: it starts (sealed, as any restart).
    std::fs::remove_file(two.join("pixelunion.toml")).expect("config");
    let s = Server::start(&two);
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":true"));
    s.stop();
}
