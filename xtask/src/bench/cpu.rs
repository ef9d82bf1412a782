//! Where the machine's CPU time goes per request: the server, PostgreSQL (the postmaster and
//! its backends), the load generator (wrk or pgbench, children of this process), interrupts
//! (on loopback, the receiving half of every TCP segment runs as a softirq, which the kernel
//! charges to no process when it accounts interrupt time) and the rest (Redis, the kernel's
//! threads). When the machine is busy all the time, a rate is the CPUs' capacity divided by
//! the sum, so the parts show what a faster server could still gain (docs/benchmark.md, "CPU
//! per request"). Also the host's CPU steal, from the same `/proc/stat` line.

/// Cumulative CPU seconds at one instant (`/proc`, USER_HZ ticks of 1/100 s on Linux).
#[derive(Clone, Copy, Default)]
pub struct Sample {
    server: f64,
    postgres: f64,
    load: f64,
    interrupts: f64,
    /// Every CPU's non-idle time.
    machine: f64,
    /// Time the host did not run this machine's virtual CPUs.
    steal: f64,
}

/// Microseconds of CPU per request (or pgbench transaction) between two samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerRequest {
    pub server: f64,
    pub postgres: f64,
    pub load: f64,
    pub interrupts: f64,
    pub machine: f64,
}

/// `server` is the process under load (`None` for pgbench), `postgres` the postmaster.
pub fn sample(server: Option<u32>, postgres: u32) -> Option<Sample> {
    let processes = std::fs::read_dir("/proc").ok()?.flatten();
    // Backends are the postmaster's children; those that ended are in its own children's
    // total, so the sum only grows.
    let backends = processes.filter_map(|entry| {
        let stat = stat_fields(&entry.path().join("stat"))?;
        (stat.get(1)?.parse::<u32>().ok()? == postgres).then(|| ticks(&stat, &[11, 12]))
    });
    let postmaster = stat_fields(format!("/proc/{postgres}/stat").as_ref())?;
    let own = stat_fields("/proc/self/stat".as_ref())?;
    let server = match server {
        Some(pid) => ticks(
            &stat_fields(format!("/proc/{pid}/stat").as_ref())?,
            &[11, 12],
        ),
        None => 0.0,
    };
    let [machine, interrupts, steal] = machine()?;
    Some(Sample {
        server,
        postgres: ticks(&postmaster, &[11, 12, 13, 14]) + backends.sum::<f64>(),
        load: ticks(&own, &[13, 14]),
        interrupts,
        machine,
        steal,
    })
}

/// Waits (up to a second) until no backend of `postgres` has exited unreaped: until the
/// postmaster reaps it, its CPU time is neither in the backends' sum nor in its own total.
pub fn settle(postgres: u32) {
    let unreaped = || {
        let processes = std::fs::read_dir("/proc").into_iter().flatten().flatten();
        processes
            .filter_map(|p| stat_fields(&p.path().join("stat")))
            .any(|stat| {
                stat.get(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(postgres)
                    && stat.first().is_some_and(|state| state == "Z")
            })
    };
    let started = std::time::Instant::now();
    while unreaped() && started.elapsed() < std::time::Duration::from_secs(1) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

impl Sample {
    pub fn per_request(&self, before: &Sample, requests: f64) -> PerRequest {
        let us = |after: f64, before: f64| (after - before) * 1e6 / requests.max(1.0);
        PerRequest {
            server: us(self.server, before.server),
            postgres: us(self.postgres, before.postgres),
            load: us(self.load, before.load),
            interrupts: us(self.interrupts, before.interrupts),
            machine: us(self.machine, before.machine),
        }
    }

    /// The host's CPU steal between two samples, in ms.
    pub fn steal_ms(&self, before: &Sample) -> f64 {
        (self.steal - before.steal) * 1000.0
    }
}

impl PerRequest {
    /// `server+postgres+load+interrupts/machine`, the server's part left out for pgbench.
    pub fn show(&self, with_server: bool) -> String {
        let server = match with_server {
            true => format!("{:.0}+", self.server),
            false => String::new(),
        };
        let (pg, load, irq, all) = (self.postgres, self.load, self.interrupts, self.machine);
        format!("{server}{pg:.0}+{load:.0}+{irq:.0}/{all:.0}")
    }
}

/// The fields of a `/proc/PID/stat` after the command name (which may hold spaces), so that
/// index 0 is the state, 1 the parent, 11 and 12 user and system time, 13 and 14 those of
/// waited-for children (proc(5) numbers them 3, 4, 14–17).
fn stat_fields(path: &std::path::Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let rest = text.rsplit_once(')')?.1;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

fn ticks(fields: &[String], at: &[usize]) -> f64 {
    let sum: u64 = at
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    sum as f64 / 100.0
}

/// Seconds of all CPUs (`/proc/stat`'s `cpu` line): non-idle (less idle and iowait), in
/// interrupts, and taken by the host (steal).
fn machine() -> Option<[f64; 3]> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy: u64 = values.iter().take(8).sum::<u64>() - values.get(3)? - values.get(4)?;
    let interrupts = values.get(5)? + values.get(6)?;
    Some([busy, interrupts, *values.get(7)?].map(|ticks| ticks as f64 / 100.0))
}

/// The host's CPU steal since boot, in seconds.
pub fn steal_seconds() -> Option<f64> {
    Some(machine()?[2])
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process_and_the_machine() {
        let pid = std::process::id();
        let before = super::sample(Some(pid), pid).expect("a sample of this process");
        let spin = std::time::Instant::now();
        while spin.elapsed() < std::time::Duration::from_millis(50) {}
        let after = super::sample(Some(pid), pid).expect("a second sample");
        let per = after.per_request(&before, 1.0);
        assert!(per.server > 0.0 && per.machine > 0.0, "{per:?}");
        let stat = super::stat_fields("/proc/self/stat".as_ref()).unwrap();
        assert_eq!(
            stat[1].parse::<u32>().ok(),
            Some(std::os::unix::process::parent_id())
        );
    }
}
