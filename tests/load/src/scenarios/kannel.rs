//! The Kannel peer (issue 18): Debian's Kannel 1.4.5 with its durable store
//! (`store-type = file`), bearerbox + smsbox + the fake SMSC client from
//! `kannel-extras`, all on 127.0.0.1 with ephemeral ports, driven by the same wrk
//! settings as the gateway (`GET /cgi-bin/sendsms`, a new number per request).
//!
//! smsbox answers `202 Accepted for delivery` once bearerbox holds the message. After
//! the load, the scenario waits until bearerbox has handed everything to the fake SMSC,
//! stops `fakesmsc` with SIGINT (it then prints how many messages it received) and
//! checks that count against the accepted count in smsbox's access log: a message
//! accepted but not delivered counts as an error. CPU time is bearerbox's and smsbox's
//! together, from the start of the load until the queue has drained.

use super::Ctx;
use crate::proc::usage;
use crate::report::Row;
use anyhow::{Context, Result, bail, ensure};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The configuration template (fixed ports replaced by placeholders).
const TEMPLATE: &str = include_str!("../../kannel/kannel-store.conf");
/// Where Debian's `kannel-extras` puts the fake SMSC client.
const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";
/// The status page's password (from the template).
const STATUS_PASSWORD: &str = "benchstatus";

/// What the Kannel run delivered, for the report's check line.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// Messages smsbox accepted (its access log).
    pub accepted: u64,
    /// Messages the fake SMSC received.
    pub delivered: u64,
}

/// A child process, killed and reaped on drop if still alive (so that an error
/// half-way through start-up leaves nothing running).
struct Kid(Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The three running processes.
struct Boxes {
    bearerbox: Kid,
    smsbox: Kid,
    fakesmsc: Kid,
    dir: PathBuf,
    admin: SocketAddr,
    sendsms: SocketAddr,
}

/// A free port on 127.0.0.1 (bound, read, released: Kannel takes ports from its file).
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `addr`.
fn wait_listening(addr: SocketAddr, what: &str, log: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!(
        "{what} did not listen on {addr} within 30 s; its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    )
}

/// Starts `cmd` with stdout and stderr in `log`.
fn spawn(cmd: &mut Command, log: &Path) -> Result<Kid> {
    let out = std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
    cmd.stdout(Stdio::from(out.try_clone()?))
        .stderr(Stdio::from(out))
        .spawn()
        .map(Kid)
        .with_context(|| format!("start {cmd:?} (install Kannel: .ci/install-kannel.sh)"))
}

/// Sends SIGINT (Kannel's clean shutdown; fakesmsc prints its counts on it).
fn interrupt(kid: &Kid) -> Result<()> {
    let status = Command::new("kill")
        .arg("-INT")
        .arg(kid.0.id().to_string())
        .status()
        .context("run kill")?;
    ensure!(status.success(), "kill -INT {} failed", kid.0.id());
    Ok(())
}

impl Boxes {
    /// Writes the configuration into `dir` and starts bearerbox, fakesmsc and smsbox,
    /// in that order, each once the previous one listens.
    fn start(dir: &Path) -> Result<Boxes> {
        let [admin, boxp, smsc, sendsms] = [free_port()?, free_port()?, free_port()?, free_port()?];
        let conf = TEMPLATE
            .replace("@LOGDIR@", &dir.display().to_string())
            .replace("@ADMIN_PORT@", &admin.to_string())
            .replace("@BOX_PORT@", &boxp.to_string())
            .replace("@SMSC_PORT@", &smsc.to_string())
            .replace("@SENDSMS_PORT@", &sendsms.to_string());
        let conf_path = dir.join("kannel.conf");
        std::fs::write(&conf_path, conf)?;
        let local = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let bb_log = dir.join("bearerbox.out");
        let bearerbox = spawn(
            Command::new("bearerbox").arg("-v").arg("2").arg(&conf_path),
            &bb_log,
        )?;
        wait_listening(local(smsc), "bearerbox (fake SMSC port)", &bb_log)?;
        wait_listening(local(boxp), "bearerbox (box port)", &bb_log)?;
        let fakesmsc = spawn(
            Command::new(FAKESMSC)
                .args([
                    "-H",
                    "127.0.0.1",
                    "-r",
                    &smsc.to_string(),
                    "-m",
                    "0",
                    "-v",
                    "1",
                ])
                .arg("123 234 text nop"),
            &dir.join("fakesmsc.out"),
        )?;
        let smsbox = spawn(
            Command::new("smsbox").arg("-v").arg("2").arg(&conf_path),
            &dir.join("smsbox.out"),
        )?;
        wait_listening(
            local(sendsms),
            "smsbox (sendsms port)",
            &dir.join("smsbox.out"),
        )?;
        Ok(Boxes {
            bearerbox,
            smsbox,
            fakesmsc,
            dir: dir.to_path_buf(),
            admin: local(admin),
            sendsms: local(sendsms),
        })
    }

    /// bearerbox's status page.
    async fn status(&self, client: &reqwest::Client) -> Result<String> {
        let url = format!(
            "http://{}/status.txt?password={STATUS_PASSWORD}",
            self.admin
        );
        Ok(client.get(url).send().await?.text().await?)
    }

    /// Waits until the fake SMSC is connected and smsbox is attached.
    async fn wait_ready(&self, client: &reqwest::Client) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.status(client).await.unwrap_or_default();
            if s.contains("(online") && s.contains("smsbox:") {
                return Ok(());
            }
            ensure!(
                Instant::now() < deadline,
                "Kannel not ready within 30 s; status page:\n{s}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Messages smsbox accepted so far (one access-log line each).
    fn accepted(&self) -> Result<u64> {
        let log = std::fs::read_to_string(self.dir.join("smsbox-access.log"))
            .context("smsbox access log")?;
        Ok(log.matches("send-SMS request added").count() as u64)
    }

    /// Waits (up to 60 s) until bearerbox has sent `accepted` messages and queues
    /// nothing.
    async fn drain(&self, client: &reqwest::Client, accepted: u64) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let s = self.status(client).await.unwrap_or_default();
            if sent_count(&s).is_some_and(|sent| sent >= accepted) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("kannel: the queue did not drain within 60 s");
        Ok(())
    }

    /// Stops fakesmsc and reads how many messages it received, then stops the boxes.
    fn stop(mut self) -> Result<u64> {
        interrupt(&self.fakesmsc)?;
        let _ = self.fakesmsc.0.wait();
        let out = std::fs::read_to_string(self.dir.join("fakesmsc.out"))?;
        let received = out
            .lines()
            .find_map(|l| {
                let rest = l.split_once("messages sent and ")?.1;
                rest.strip_suffix(" received")?.trim().parse::<u64>().ok()
            })
            .with_context(|| format!("no count in fakesmsc's output:\n{out}"))?;
        interrupt(&self.bearerbox)?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.bearerbox.0.try_wait()?.is_some() && self.smsbox.0.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(received)
    }
}

/// `sent N` from the status page's `SMS: received …, sent N (…)` line.
fn sent_count(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("SMS: received"))?;
    let rest = line.split_once("sent ")?.1;
    rest.split_whitespace().next()?.parse().ok()
}

impl Ctx {
    /// Kannel's `sendsms` with the durable store, under the same wrk load as
    /// `POST /v1/messages`.
    pub async fn kannel(&self) -> Result<(Row, Delivery)> {
        self.settle()?;
        let dir = self.work.join("kannel");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let boxes = Boxes::start(&dir)?;
        let client = reqwest::Client::builder().no_proxy().build()?;
        boxes.wait_ready(&client).await?;
        let pids = [boxes.bearerbox.0.id(), boxes.smsbox.0.id()];
        let cpu = |pids: &[u32]| -> Result<f64> {
            pids.iter()
                .map(|p| usage(*p).map(|u| u.cpu_secs))
                .sum::<Result<f64>>()
        };
        let before = cpu(&pids)?;
        let (mut row, _) = self
            .drive(
                boxes.sendsms,
                &pids,
                "GET /cgi-bin/sendsms (durable store)",
                "Kannel",
                "/",
                "kannel.lua",
                &[],
            )
            .await?;
        let accepted = boxes.accepted()?;
        boxes.drain(&client, accepted).await?;
        // Delivery to the SMSC is part of Kannel's work per message: count it.
        row.cpu_secs = cpu(&pids)? - before;
        row.peak_rss_mib = pids
            .iter()
            .map(|p| usage(*p).map(|u| u.hwm_kib as f64 / 1024.0))
            .sum::<Result<f64>>()?;
        let delivered = boxes.stop()?;
        if delivered != accepted {
            eprintln!("kannel: accepted {accepted} but the fake SMSC received {delivered}");
            row.errors += accepted.abs_diff(delivered);
        }
        Ok((
            row,
            Delivery {
                accepted,
                delivered,
            },
        ))
    }
}
