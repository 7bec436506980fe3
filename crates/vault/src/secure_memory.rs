//! Memory hygiene: locked, non-dumpable pages for key material, and process
//! hardening (no core dumps, not ptrace-attachable by other users' tools).
//!
//! This is the only module of the workspace allowed to use `unsafe`: it calls
//! `mmap`/`mlock`/`madvise`/`prctl`/`setrlimit` and hands out 32-byte slots
//! inside locked pages.
//!
//! Design: a process-wide pool of anonymous pages. Each page is `mlock`ed (so
//! it is never written to swap) and marked `MADV_DONTDUMP` (so it never lands
//! in a core file even if dumps are re-enabled). A page is cut into 32-byte
//! slots; a [`LockedKey`] owns one slot, zeroes it on drop and returns it to
//! the pool. Pages are never unmapped, so a slot's address stays valid for as
//! long as the process lives; the pool grows only to the peak number of keys
//! held at once.
//!
//! Where the OS refuses `mlock` (RLIMIT_MEMLOCK too low, no permission) the
//! page is still used, the refusal is counted in [`MemoryLockStatus`] and a
//! warning is logged once — without any key material in it.
#![allow(unsafe_code)]

use std::ptr::NonNull;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use zeroize::Zeroize;

use crate::error::{Result, VaultError};

/// Size of one key slot.
pub const KEY_LEN: usize = 32;

struct Page {
    base: NonNull<u8>,
    free: Vec<u16>,
}

// SAFETY: a `Page` is only touched under the pool mutex; the memory it points
// to is plain bytes owned by the pool for the life of the process.
unsafe impl Send for Page {}

struct Pool {
    pages: Vec<Page>,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { pages: Vec::new() });
static PAGES_LOCKED: AtomicUsize = AtomicUsize::new(0);
static PAGES_UNLOCKED: AtomicUsize = AtomicUsize::new(0);
static WARNED: AtomicBool = AtomicBool::new(false);

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if v <= 0 { 4096 } else { v as usize }
}

fn map_page(len: usize) -> Result<NonNull<u8>> {
    // SAFETY: anonymous private mapping, no file descriptor, checked result.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(VaultError::SecureMemory);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: ptr/len is the mapping just created. Failure only means the
    // page could appear in a core dump, and dumps are disabled separately.
    unsafe {
        libc::madvise(ptr, len, libc::MADV_DONTDUMP);
    }
    // SAFETY: ptr/len is the mapping just created.
    let locked = unsafe { libc::mlock(ptr, len) } == 0;
    if locked {
        PAGES_LOCKED.fetch_add(1, Ordering::Relaxed);
    } else {
        PAGES_UNLOCKED.fetch_add(1, Ordering::Relaxed);
        if !WARNED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "mlock refused for key memory (raise RLIMIT_MEMLOCK / LimitMEMLOCK): \
                 key pages may be swapped to disk"
            );
        }
    }
    NonNull::new(ptr.cast::<u8>()).ok_or(VaultError::SecureMemory)
}

/// 32 bytes of key material in a locked, non-dumpable page, zeroed on drop.
///
/// Deliberately neither `Clone` nor `Debug`-printable: use
/// [`LockedKey::try_clone`] when a copy is really needed.
pub struct LockedKey {
    ptr: NonNull<[u8; KEY_LEN]>,
    page: usize,
    slot: u16,
}

// SAFETY: a `LockedKey` exclusively owns its slot; the page outlives it.
unsafe impl Send for LockedKey {}
// SAFETY: shared access only reads the slot.
unsafe impl Sync for LockedKey {}

impl LockedKey {
    /// A zeroed key slot.
    pub fn zeroed() -> Result<Self> {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let psize = page_size();
        let found = pool
            .pages
            .iter_mut()
            .enumerate()
            .find_map(|(i, p)| p.free.pop().map(|s| (i, s)));
        let (page, slot) = match found {
            Some(v) => v,
            None => {
                let base = map_page(psize)?;
                let slots = (psize / KEY_LEN) as u16;
                let mut free: Vec<u16> = (0..slots).rev().collect();
                let slot = free.pop().ok_or(VaultError::SecureMemory)?;
                pool.pages.push(Page { base, free });
                (pool.pages.len() - 1, slot)
            }
        };
        let base = pool.pages[page].base;
        // SAFETY: slot < psize / KEY_LEN, so the slot lies inside the page.
        let raw = unsafe { base.as_ptr().add(usize::from(slot) * KEY_LEN) };
        let ptr = NonNull::new(raw.cast::<[u8; KEY_LEN]>()).ok_or(VaultError::SecureMemory)?;
        let mut key = LockedKey { ptr, page, slot };
        key.expose_mut().zeroize();
        Ok(key)
    }

    /// A slot filled from `bytes`. The caller should zeroize its own copy.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Result<Self> {
        let mut k = Self::zeroed()?;
        k.expose_mut().copy_from_slice(bytes);
        Ok(k)
    }

    /// A slot filled with fresh random bytes, generated in place.
    pub fn random() -> Result<Self> {
        let mut k = Self::zeroed()?;
        crate::rng::fill(k.expose_mut())?;
        Ok(k)
    }

    /// Copies the key into a new locked slot.
    pub fn try_clone(&self) -> Result<Self> {
        Self::from_bytes(self.expose())
    }

    /// The key bytes. Keep the borrow short; never copy them into ordinary memory.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        // SAFETY: the slot is valid, aligned for u8 arrays and exclusively ours.
        unsafe { self.ptr.as_ref() }
    }

    /// Mutable key bytes (for filling a slot in place).
    pub fn expose_mut(&mut self) -> &mut [u8; KEY_LEN] {
        // SAFETY: as above, and `&mut self` guarantees exclusivity.
        unsafe { self.ptr.as_mut() }
    }
}

impl Drop for LockedKey {
    fn drop(&mut self) {
        self.expose_mut().zeroize();
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pool.pages.get_mut(self.page) {
            p.free.push(self.slot);
        }
    }
}

impl std::fmt::Debug for LockedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockedKey(<redacted>)")
    }
}

/// How much key memory the OS agreed to lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLockStatus {
    /// pages locked in RAM
    pub pages_locked: usize,
    /// pages the OS refused to lock (they may be swapped)
    pub pages_unlocked: usize,
}

/// Current state of the key page pool.
pub fn memory_lock_status() -> MemoryLockStatus {
    MemoryLockStatus {
        pages_locked: PAGES_LOCKED.load(Ordering::Relaxed),
        pages_unlocked: PAGES_UNLOCKED.load(Ordering::Relaxed),
    }
}

/// What [`harden_process`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardeningReport {
    /// `RLIMIT_CORE` is 0 (soft and hard): no core file can be written.
    pub core_dumps_disabled: bool,
    /// `PR_SET_DUMPABLE` is 0: no core dump, and `/proc/PID/mem` and ptrace are
    /// closed to unprivileged processes of the same user.
    pub non_dumpable: bool,
}

/// Disables core dumps and makes the process non-dumpable. The server calls
/// this first thing at start, before any key exists.
pub fn harden_process() -> HardeningReport {
    let limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit with a valid pointer to a local struct.
    let core_dumps_disabled = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) } == 0;
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes no pointers.
    let non_dumpable = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } == 0;
    #[cfg(not(target_os = "linux"))]
    let non_dumpable = false;
    HardeningReport {
        core_dumps_disabled,
        non_dumpable,
    }
}

/// Reads back the hardening state (for status pages and tests).
pub fn hardening_state() -> HardeningReport {
    let mut limit = libc::rlimit {
        rlim_cur: 1,
        rlim_max: 1,
    };
    // SAFETY: getrlimit writes into a valid local struct.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } == 0;
    #[cfg(target_os = "linux")]
    // SAFETY: PR_GET_DUMPABLE takes no pointers.
    let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
    #[cfg(not(target_os = "linux"))]
    let dumpable = 1;
    HardeningReport {
        core_dumps_disabled: ok && limit.rlim_cur == 0 && limit.rlim_max == 0,
        non_dumpable: dumpable == 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_distinct_and_zeroed_on_drop() {
        let mut a = LockedKey::zeroed().expect("slot");
        a.expose_mut().fill(0xAA);
        let b = LockedKey::random().expect("slot");
        assert_ne!(a.ptr, b.ptr);
        let (ptr, page, slot) = (a.ptr, a.page, a.slot);
        drop(a);
        // Hold the pool lock so no other test can take the slot, then read it.
        let pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.pages[page].free.contains(&slot) {
            // SAFETY: the slot lies in a page that is never unmapped, and the
            // held pool lock keeps it unowned while we read it.
            let bytes = unsafe { *ptr.as_ptr() };
            assert_eq!(bytes, [0u8; KEY_LEN], "dropped key must be wiped");
        }
        drop(pool);
        for _ in 0..200 {
            assert_eq!(LockedKey::zeroed().expect("slot").expose(), &[0u8; KEY_LEN]);
        }
    }

    #[test]
    fn many_keys_span_pages() {
        let keys: Vec<_> = (0..1000)
            .map(|_| LockedKey::random().expect("slot"))
            .collect();
        let distinct: std::collections::HashSet<_> =
            keys.iter().map(|k| k.ptr.as_ptr() as usize).collect();
        assert_eq!(distinct.len(), keys.len());
        let st = memory_lock_status();
        assert!(st.pages_locked + st.pages_unlocked >= 1000 * KEY_LEN / page_size());
    }

    #[test]
    fn debug_is_redacted() {
        let mut k = LockedKey::zeroed().expect("slot");
        k.expose_mut().fill(0x41);
        let s = format!("{k:?}");
        assert!(!s.contains("65") && !s.contains("41") && !s.contains('A'));
    }

    #[test]
    fn harden_disables_core_dumps() {
        let r = harden_process();
        assert!(r.core_dumps_disabled);
        let now = hardening_state();
        assert!(now.core_dumps_disabled);
        #[cfg(target_os = "linux")]
        {
            assert!(r.non_dumpable);
            assert!(now.non_dumpable);
        }
    }
}
