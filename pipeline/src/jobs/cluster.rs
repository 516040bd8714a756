//! Cluster runs: several `mull run` processes, one timely computation over TCP.
//!
//! timely connects the processes before any worker starts and retries a missing peer forever;
//! a peer lost mid-run panics timely's communication threads in every other process. Here the
//! first is bounded — a process that has not met every peer within `connect_timeout` ends with
//! an error naming the hostfile — and the second becomes one error saying how to resume,
//! instead of a cascade of panics.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::error::PipelineError;

/// Several processes, each running `workers` threads: timely's cluster mode.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// This process's index, `0..addresses.len()`.
    pub process: usize,
    /// `host:port` of every process, in process order (the hostfile's lines).
    pub addresses: Vec<String>,
    /// Where the addresses came from, for messages.
    pub hostfile: PathBuf,
    /// How long this process waits for every peer to connect.
    pub connect_timeout: Duration,
}

impl Cluster {
    /// Reads a hostfile (one `host:port` per line; blank lines and `#` comments skipped) and
    /// checks it against the process count and index.
    pub fn from_hostfile(
        path: &Path,
        processes: usize,
        process: usize,
        connect_timeout: Duration,
    ) -> Result<Self, PipelineError> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let addresses: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let bad = |message: String| PipelineError::Config {
            path: path.to_path_buf(),
            message,
        };
        if addresses.len() != processes {
            return Err(bad(format!(
                "{} addresses for --processes {processes}: give one host:port line per process",
                addresses.len()
            )));
        }
        if process >= processes {
            return Err(bad(format!(
                "--process {process} is not below --processes {processes}"
            )));
        }
        Ok(Cluster {
            process,
            addresses,
            hostfile: path.to_path_buf(),
            connect_timeout,
        })
    }
}

/// timely's config from mull's flags (never from timely's own argument parser, whose `-h`
/// would shadow `--help`).
pub fn timely_config(workers: usize, cluster: Option<&Cluster>) -> timely::Config {
    use timely::CommunicationConfig;
    let communication = match cluster {
        None => CommunicationConfig::Process(workers),
        Some(c) => CommunicationConfig::Cluster {
            threads: workers,
            process: c.process,
            addresses: c.addresses.clone(),
            report: false,
            zerocopy: false,
        },
    };
    timely::Config {
        communication,
        worker: timely::WorkerConfig::default(),
    }
}

/// Watches the connection phase of a cluster run: unless [`ConnectWatch::connected`] is called
/// (a worker started, so every peer is connected) within the cluster's timeout, the process
/// prints why, removes its temporary files and exits with status 1. timely's connection loop
/// cannot be interrupted any other way.
#[derive(Clone)]
pub struct ConnectWatch {
    started: Arc<(Mutex<bool>, Condvar)>,
}

impl ConnectWatch {
    /// Starts the watch for a cluster run; `None` when no thread could be started (the run
    /// then waits as timely does).
    pub fn start(cluster: &Cluster) -> Option<Self> {
        let cluster = cluster.clone();
        let watch = ConnectWatch {
            started: Arc::new((Mutex::new(false), Condvar::new())),
        };
        let started = watch.started.clone();
        let spawned = std::thread::Builder::new()
            .name("mull-connect-watch".into())
            .spawn(move || {
                let (lock, ready) = &*started;
                let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                let (guard, _) = ready
                    .wait_timeout_while(guard, cluster.connect_timeout, |started| !*started)
                    .unwrap_or_else(|e| e.into_inner());
                if !*guard {
                    eprintln!(
                        "error: mull run: process {} of {}: not every process connected within \
                         {} s (addresses in {}); a process that failed before connecting (see \
                         its error) or was never started leaves the others waiting: start it \
                         with the same command, or stop them all",
                        cluster.process,
                        cluster.addresses.len(),
                        cluster.connect_timeout.as_secs(),
                        cluster.hostfile.display()
                    );
                    mull_data::shard::remove_temp_files();
                    std::process::exit(1);
                }
            });
        // Without the watch the run still works; it only waits as timely does.
        spawned.ok().map(|_| watch)
    }

    /// Says every peer is connected (called by each worker as it starts).
    pub fn connected(&self) {
        let (lock, ready) = &*self.started;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        ready.notify_all();
    }
}

/// The first communication error of a cluster run, recorded by [`quiet_lost_peer_panics`].
static LOST_PEER: OnceLock<String> = OnceLock::new();

/// Installs a panic hook under which the panics a lost peer causes — timely's communication
/// threads failing to read or write a socket, then the workers and guards that find them
/// gone — are recorded, not printed. Every other panic goes to the hook it replaces.
pub fn quiet_lost_peer_panics() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("");
            let comms = name.starts_with("timely:send") || name.starts_with("timely:recv");
            if comms || message.starts_with("timely communication error") {
                let _ = LOST_PEER.set(message.to_string());
                return;
            }
            let follows = name.starts_with("timely:")
                || message.contains("MergeQueue poisoned")
                || message.contains("thread panic");
            if !(LOST_PEER.get().is_some() && follows) {
                previous(info);
            }
        }));
    });
}

/// The error of a cluster run whose peer was lost, if one was.
pub fn lost_peer() -> Option<PipelineError> {
    LOST_PEER.get().map(|cause| {
        PipelineError::Dataflow(format!(
            "the cluster lost a process ({cause}); the blocks already written are kept: start \
             every process again with the same command to resume"
        ))
    })
}
