//! A moto S3 server on loopback, started per test and killed on drop.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use weir_checkpoint::StorageOptions;

const INSTALL: &str = "moto_server not found: install it with `pip install 'moto[server]'` \
     (scripts/install-toolchain.sh does) or set WEIR_MOTO_SERVER to its path";

/// A running `moto_server`.
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// `WEIR_MOTO_SERVER`, else `moto_server` on PATH; panics saying how to
/// install it.
fn executable() -> PathBuf {
    if let Some(path) = std::env::var_os("WEIR_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("moto_server"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{INSTALL}"))
}

impl Moto {
    /// Starts the server on a free loopback port and waits until it answers.
    pub fn start() -> Moto {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("moto.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let exe = executable();
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}\n{INSTALL}", exe.display()));
        let mut moto = Moto {
            child,
            port,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(moto.addr()).is_err() {
            if let Some(status) = moto.child.try_wait().unwrap() {
                panic!("moto_server exited with {status}: {}", moto.log());
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not start: {}",
                moto.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Options pointing `object_store` at this server with dummy
    /// credentials and few retries.
    pub fn options(&self) -> StorageOptions {
        StorageOptions::new()
            .with("endpoint", self.endpoint())
            .with("allow_http", "true")
            .with("region", "us-east-1")
            .with("access_key_id", "weir-test")
            .with("secret_access_key", "weir-test")
            .with("max_retries", "1")
            .with("retry_timeout", "2s")
    }

    /// Creates a bucket (moto accepts an unsigned path-style PUT).
    pub fn create_bucket(&self, bucket: &str) {
        let mut stream = TcpStream::connect(self.addr()).unwrap();
        write!(
            stream,
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "creating bucket {bucket}: {response}"
        );
    }

    /// Stops the server now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}
