//! The process's open-file limit (`RLIMIT_NOFILE`), raised at start-up to
//! what `--max-connections` needs.
//!
//! Every client connection a port holds ([`crate::connections`]) is a file
//! descriptor, and so is every pooled database connection. Many runtimes
//! start a process with a soft limit of 1,024 descriptors (kept for
//! programs that still wait with `select`, which cannot see past 1,023)
//! under a hard limit far higher, and a Kubernetes pod spec (so the chart)
//! cannot set either. At 1,024 a server with the default cap of 10,000
//! connections a port runs out of descriptors long before the cap: accepts
//! fail with "too many open files" (EMFILE), and so do new database
//! connections and reads of renewed TLS files.
//!
//! So `marque serve` raises its own soft limit when it is short of what the
//! caps need ([`Needs`]), as far as the hard limit lets a process without
//! privileges; the hard limit stays as it is. The server waits with epoll
//! (tokio), never `select`, so descriptors above 1,023 cost it nothing.
//! When even the hard limit is short, one WARN line says so at start-up,
//! rather than connections failing later. Only Linux is served this way;
//! elsewhere the limit is left as it is.

use std::io;

/// Descriptors the server holds besides client and pooled database
/// connections: its listeners, the dedicated PostgreSQL LISTEN connection,
/// the runtime's epoll and waker, standard streams, TLS, seed and word
/// files while they are read, and the database connections a pool is
/// replacing.
pub const MARGIN: u64 = 256;

/// A soft limit the server raises to at most when the hard limit is higher
/// still (Linux's default `fs.nr_open`, 2^20): a hard limit above it is
/// unlimited (`RLIM_INFINITY`), or the 2^30 some container runtimes pass
/// on, and no cap needs that many.
pub const CEILING: u64 = 1 << 20;

/// What the configured caps need of the open-file limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// `--max-connections`: the API port's cap, and the admin port's.
    pub max_connections: usize,
    /// Whether the admin port is served (its cap counts apart).
    pub admin_port: bool,
    /// The PostgreSQL pool's size, when the store is PostgreSQL.
    pub database_pool: Option<usize>,
}

impl Needs {
    /// Descriptors for every connection the caps allow at once, plus
    /// [`MARGIN`].
    pub fn total(&self) -> u64 {
        let connections = u64::try_from(self.max_connections).unwrap_or(u64::MAX);
        let ports = if self.admin_port { 2 } else { 1 };
        let pool = self
            .database_pool
            .map_or(0, |size| u64::try_from(size).unwrap_or(u64::MAX));
        connections
            .saturating_mul(ports)
            .saturating_add(pool)
            .saturating_add(MARGIN)
    }
}

/// What to do with a soft limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The soft limit to set, when it changes: always above the current one.
    pub raise_to: Option<u64>,
    /// Whether the soft limit, raised as planned, is still below what is
    /// needed: connections may then fail for want of a descriptor.
    pub short: bool,
}

/// What to do with the soft limit `soft` under the hard limit `hard`
/// (`u64::MAX`: unlimited), when the caps need `needed` descriptors.
///
/// A soft limit that covers `needed` is left alone: whoever set it so high
/// chose it. One that does not is raised to the hard limit, not just to
/// `needed`, as Go's runtime and the JVM do at start-up: `needed` is an
/// estimate (its [`MARGIN`] a guess), the hard limit is the bound the
/// operator or the runtime actually chose, and descriptors the process
/// never opens cost nothing. A hard limit above [`CEILING`] raises it to
/// `CEILING`, or to `needed` if that is more. The limit is never lowered.
pub fn plan(soft: u64, hard: u64, needed: u64) -> Plan {
    if soft >= needed {
        return Plan {
            raise_to: None,
            short: false,
        };
    }
    let target = if hard > CEILING {
        hard.min(needed.max(CEILING))
    } else {
        hard
    };
    let raise_to = (target > soft).then_some(target);
    Plan {
        raise_to,
        short: raise_to.unwrap_or(soft) < needed,
    }
}

/// What [`raise`] did.
#[derive(Debug)]
pub enum Outcome {
    /// The soft limit was left as it was.
    Unchanged {
        /// The soft limit.
        soft: u64,
        /// The hard limit.
        hard: u64,
    },
    /// The soft limit was raised.
    Raised {
        /// The soft limit before.
        from: u64,
        /// The soft limit now.
        to: u64,
        /// The hard limit.
        hard: u64,
    },
    /// Setting the soft limit failed; it is still `soft`.
    Failed {
        /// The soft limit.
        soft: u64,
        /// The hard limit.
        hard: u64,
        /// Why.
        error: io::Error,
    },
}

impl Outcome {
    /// The soft limit now.
    pub fn soft(&self) -> u64 {
        match self {
            Outcome::Unchanged { soft, .. } | Outcome::Failed { soft, .. } => *soft,
            Outcome::Raised { to, .. } => *to,
        }
    }

    /// The hard limit.
    pub fn hard(&self) -> u64 {
        match self {
            Outcome::Unchanged { hard, .. }
            | Outcome::Raised { hard, .. }
            | Outcome::Failed { hard, .. } => *hard,
        }
    }
}

/// Raises this process's soft open-file limit as [`plan`] says for
/// `needed` descriptors. None where the platform's limit is not read
/// (not Linux).
pub fn raise(needed: u64) -> Option<Outcome> {
    let (soft, hard) = sys::limits()?;
    Some(match plan(soft, hard, needed).raise_to {
        None => Outcome::Unchanged { soft, hard },
        Some(to) => match sys::set_soft(to) {
            Ok(()) => Outcome::Raised {
                from: soft,
                to,
                hard,
            },
            Err(error) => Outcome::Failed { soft, hard, error },
        },
    })
}

/// Raises the soft open-file limit for what `needs` asks (see the module),
/// and says in the log what it did: one INFO line when it raised the limit,
/// one WARN line when the limit is still short or could not be set. Never
/// fails: a server short of descriptors still serves what it can.
pub fn raise_for(needs: &Needs) {
    if let Some(outcome) = raise(needs.total()) {
        report(&outcome, needs);
    }
}

/// Logs `outcome` of raising the limit for `needs`.
fn report(outcome: &Outcome, needs: &Needs) {
    let needed = needs.total();
    let max_connections = needs.max_connections;
    match outcome {
        Outcome::Failed { soft, hard, error } => {
            tracing::warn!(
                error = %error,
                limit = soft,
                hard,
                needed,
                max_connections,
                "cannot raise the open-file limit (RLIMIT_NOFILE) to what --max-connections \
                 needs: new connections may fail with \"too many open files\"; lower \
                 --max-connections or give the process a higher limit"
            );
            return;
        }
        Outcome::Raised { from, to, hard } => {
            tracing::info!(
                previous = from,
                limit = to,
                hard,
                "raised the open-file limit (RLIMIT_NOFILE)"
            );
        }
        Outcome::Unchanged { .. } => {}
    }
    let limit = outcome.soft();
    if limit < needed {
        tracing::warn!(
            limit,
            hard = outcome.hard(),
            needed,
            max_connections,
            "the open-file limit (RLIMIT_NOFILE) is below what --max-connections needs, \
             even raised to the hard limit: new connections may fail with \"too many open \
             files\"; lower --max-connections or raise the hard limit (ulimit -Hn, systemd's \
             LimitNOFILE, the container runtime's nofile ulimit)"
        );
    }
}

/// The system calls, on Linux.
#[cfg(target_os = "linux")]
mod sys {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

    /// The soft and hard limits; `u64::MAX` for unlimited.
    pub(super) fn limits() -> Option<(u64, u64)> {
        let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
        Some((current.unwrap_or(u64::MAX), maximum.unwrap_or(u64::MAX)))
    }

    /// Sets the soft limit to `soft`, the hard limit left as it is.
    pub(super) fn set_soft(soft: u64) -> std::io::Result<()> {
        let Rlimit { maximum, .. } = getrlimit(Resource::Nofile);
        let current = (soft != u64::MAX).then_some(soft);
        setrlimit(Resource::Nofile, Rlimit { current, maximum })?;
        Ok(())
    }

    /// Lowers the soft limit to `soft` (tests).
    #[cfg(test)]
    pub(super) fn lower_soft(soft: u64) {
        let Rlimit { maximum, .. } = getrlimit(Resource::Nofile);
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(soft),
                maximum,
            },
        )
        .expect("lower the soft limit");
    }
}

/// Elsewhere the limit is not read, and left as it is.
#[cfg(not(target_os = "linux"))]
mod sys {
    /// None: not read here.
    pub(super) fn limits() -> Option<(u64, u64)> {
        None
    }

    /// Never called: [`limits`] reads nothing.
    pub(super) fn set_soft(_soft: u64) -> std::io::Result<()> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::Captured;

    /// The default caps: 10,000 a port, the admin port, a pool of 16.
    const DEFAULTS: Needs = Needs {
        max_connections: 10_000,
        admin_port: true,
        database_pool: Some(16),
    };

    #[test]
    fn the_caps_need_both_ports_the_pool_and_the_margin() {
        assert_eq!(DEFAULTS.total(), 20_000 + 16 + MARGIN);
        let api_only = Needs {
            admin_port: false,
            database_pool: None,
            ..DEFAULTS
        };
        assert_eq!(api_only.total(), 10_000 + MARGIN);
        let huge = Needs {
            max_connections: usize::MAX,
            ..DEFAULTS
        };
        assert_eq!(huge.total(), u64::MAX, "saturates");
    }

    #[test]
    fn a_soft_limit_that_covers_the_caps_is_left_alone() {
        let left = Plan {
            raise_to: None,
            short: false,
        };
        assert_eq!(plan(65_536, 1_048_576, 20_272), left);
        assert_eq!(plan(20_272, 20_272, 20_272), left);
        assert_eq!(plan(u64::MAX, u64::MAX, 20_272), left);
    }

    #[test]
    fn a_short_soft_limit_is_raised_to_the_hard_limit() {
        assert_eq!(
            plan(1_024, 524_288, 20_272),
            Plan {
                raise_to: Some(524_288),
                short: false
            }
        );
        assert_eq!(
            plan(1_024, 20_272, 20_272),
            Plan {
                raise_to: Some(20_272),
                short: false
            }
        );
    }

    #[test]
    fn a_hard_limit_below_the_need_is_taken_whole_and_said_short() {
        assert_eq!(
            plan(1_024, 4_096, 20_272),
            Plan {
                raise_to: Some(4_096),
                short: true
            }
        );
        // Already at the hard limit: nothing to set, still short.
        assert_eq!(
            plan(4_096, 4_096, 20_272),
            Plan {
                raise_to: None,
                short: true
            }
        );
    }

    #[test]
    fn an_unlimited_hard_limit_raises_to_the_ceiling_or_the_need() {
        for hard in [u64::MAX, 1 << 30] {
            assert_eq!(
                plan(1_024, hard, 20_272),
                Plan {
                    raise_to: Some(CEILING),
                    short: false
                }
            );
            assert_eq!(
                plan(1_024, hard, 3 * CEILING),
                Plan {
                    raise_to: Some(3 * CEILING),
                    short: false
                }
            );
        }
        assert_eq!(
            plan(1_024, u64::MAX, u64::MAX),
            Plan {
                raise_to: Some(u64::MAX),
                short: false
            }
        );
    }

    /// The real calls: a soft limit lowered by one descriptor (harmless to
    /// the tests running beside this one) is raised again, to no more than
    /// the hard limit. Fails if nothing is set.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_soft_limit_is_raised_on_this_machine() {
        let (soft, hard) = sys::limits().expect("read on Linux");
        assert!(soft > 1, "soft limit {soft}");
        sys::lower_soft(soft - 1);
        let outcome = raise(soft).expect("read on Linux");
        assert!(
            matches!(outcome, Outcome::Raised { from, .. } if from == soft - 1),
            "{outcome:?}"
        );
        let (now, hard_now) = sys::limits().expect("read on Linux");
        assert_eq!(hard_now, hard, "the hard limit is left as it is");
        assert_eq!(now, outcome.soft());
        assert!(soft <= now && now <= hard, "{soft} ≤ {now} ≤ {hard}");
        // Covered now: left alone.
        assert!(matches!(raise(soft), Some(Outcome::Unchanged { .. })));
    }

    /// The lines of the limit's report.
    fn reported(outcome: &Outcome, needs: &Needs) -> Vec<String> {
        let log = Captured::start();
        report(outcome, needs);
        log.lines()
    }

    #[test]
    fn a_raise_is_one_info_line_and_a_short_limit_one_warn_line() {
        let enough = Outcome::Raised {
            from: 1_024,
            to: 524_288,
            hard: 524_288,
        };
        let lines = reported(&enough, &DEFAULTS);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("INFO"), "{}", lines[0]);
        assert!(lines[0].contains("previous=1024"), "{}", lines[0]);
        assert!(lines[0].contains("limit=524288"), "{}", lines[0]);

        let short = Outcome::Raised {
            from: 1_024,
            to: 4_096,
            hard: 4_096,
        };
        let lines = reported(&short, &DEFAULTS);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[1].contains("WARN"), "{}", lines[1]);
        for field in ["limit=4096", "needed=20272", "max_connections=10000"] {
            assert!(lines[1].contains(field), "{field}: {}", lines[1]);
        }
        assert!(lines[1].contains("too many open files"), "{}", lines[1]);

        let covered = Outcome::Unchanged {
            soft: 65_536,
            hard: 65_536,
        };
        assert_eq!(reported(&covered, &DEFAULTS), Vec::<String>::new());
        let at_hard = Outcome::Unchanged {
            soft: 4_096,
            hard: 4_096,
        };
        let lines = reported(&at_hard, &DEFAULTS);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("WARN"), "{}", lines[0]);
    }

    #[test]
    fn a_failed_raise_is_one_warn_line_with_its_error() {
        let failed = Outcome::Failed {
            soft: 1_024,
            hard: 524_288,
            error: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        let lines = reported(&failed, &DEFAULTS);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("WARN"), "{}", lines[0]);
        for field in [
            "error=",
            "limit=1024",
            "needed=20272",
            "max_connections=10000",
        ] {
            assert!(lines[0].contains(field), "{field}: {}", lines[0]);
        }
    }
}
