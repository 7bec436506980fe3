//! `[backups]`: catalog snapshots, their retention, and the scrubbing of
//! the primary store.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// Backups of the catalog and the scrubbing of the primary store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Minutes between catalog snapshots (also taken at seal and shutdown).
    pub snapshot_interval_minutes: u64,
    /// Every snapshot younger than this many hours is kept.
    pub keep_all_hours: u64,
    /// After that, one snapshot a day is kept for this many days (at most
    /// 30: a deleted account must be gone from every backup within 30 days).
    pub keep_days: u64,
    /// The scrubber reads the primary store at most this fast, in MiB/s
    /// (0 turns it off).
    pub scrub_mib_per_sec: u64,
    /// Hours between two complete scrubs of the primary store.
    pub scrub_every_hours: u64,
    /// Seconds between a purged blob's deletion from the primary store and
    /// from the backup store of a deleted account (longer than any one
    /// blob's replication, so a copy in flight cannot come back); 5–86400.
    pub drop_delay_secs: u64,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            snapshot_interval_minutes: 15,
            keep_all_hours: 48,
            keep_days: 30,
            scrub_mib_per_sec: 16,
            scrub_every_hours: 24,
            drop_delay_secs: 900,
        }
    }
}

impl BackupConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.snapshot_interval_minutes == 0 || self.snapshot_interval_minutes > 24 * 60 {
            return Err(invalid(
                "backups.snapshot_interval_minutes",
                "between 1 and 1440",
            ));
        }
        if self.keep_days == 0 || self.keep_days > 30 {
            return Err(invalid(
                "backups.keep_days",
                "between 1 and 30 (deletion must reach every backup within 30 days)",
            ));
        }
        if self.keep_all_hours > self.keep_days * 24 {
            return Err(invalid(
                "backups.keep_all_hours",
                "cannot be longer than backups.keep_days",
            ));
        }
        if !(5..=86_400).contains(&self.drop_delay_secs) {
            return Err(invalid("backups.drop_delay_secs", "between 5 and 86400"));
        }
        if self.scrub_every_hours == 0 {
            return Err(invalid("backups.scrub_every_hours", "must be at least 1"));
        }
        Ok(())
    }
}
