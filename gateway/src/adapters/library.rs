//! Opening adapter libraries: the gateway's only `unsafe` code.
//!
//! A library is opened with `RTLD_NOW | RTLD_LOCAL` (every symbol resolved up front, so
//! a broken library fails at start-up; nothing it exports leaks into other libraries),
//! its ABI version symbol is read and compared *before* any of its functions is called,
//! then its entry function yields the function table. Libraries are never unloaded:
//! the `Library` is leaked, because threads of the adapter's runtime and its tables live
//! for the rest of the process.

use super::error::LoadError;
use gateway_sdk::abi::host::LibraryApi;
use gateway_sdk::abi::{ABI_VERSION, ABI_VERSION_SYMBOL, AdapterApi, ENTRY_SYMBOL};
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW, Symbol};
use std::path::{Path, PathBuf};

/// What `gateway check-config` reports about a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryInfo {
    /// The library path.
    pub path: PathBuf,
    /// Its ABI version (equal to the gateway's, or it would have been refused).
    pub abi_version: u32,
    /// `Adapter::KIND`.
    pub kind: String,
    /// `Adapter::VERSION`.
    pub version: String,
    /// The SDK version it was built with.
    pub sdk_version: String,
}

/// Checks that `path` exists, loads, and speaks this gateway's ABI.
pub fn check_library(path: &Path) -> Result<LibraryInfo, LoadError> {
    let api = open(path)?;
    Ok(LibraryInfo {
        path: path.to_path_buf(),
        abi_version: api.abi_version(),
        kind: api.kind().to_owned(),
        version: api.adapter_version().to_owned(),
        sdk_version: api.sdk_version().to_owned(),
    })
}

fn symbol_name(symbol: &[u8]) -> String {
    String::from_utf8_lossy(symbol.strip_suffix(b"\0").unwrap_or(symbol)).into_owned()
}

/// Opens (or re-opens: the dynamic loader shares one copy) the library at `path`.
pub(crate) fn open(path: &Path) -> Result<LibraryApi, LoadError> {
    if !path.exists() {
        return Err(LoadError::Missing {
            path: path.to_path_buf(),
        });
    }
    // SAFETY: opening a library runs its initialisers. Adapter libraries are code the
    // operator chose to run in this process (like the gateway binary itself); the
    // checks below only guard against honest mistakes (wrong version, wrong file).
    let library = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| {
        LoadError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    // Never unloaded: see the module docs.
    let library: &'static Library = Box::leak(Box::new(library));
    let not_an_adapter = |symbol: &[u8]| LoadError::NotAnAdapter {
        path: path.to_path_buf(),
        symbol: symbol_name(symbol),
    };

    // SAFETY: the symbol is declared by the ABI as a `u32` static; we only take its
    // address here.
    let version: Symbol<*const u32> = unsafe { library.get(ABI_VERSION_SYMBOL) }
        .map_err(|_| not_an_adapter(ABI_VERSION_SYMBOL))?;
    if version.is_null() {
        return Err(not_an_adapter(ABI_VERSION_SYMBOL));
    }
    // SAFETY: non-null address of an immutable `u32` static in a library that stays
    // loaded; reading it runs no library code.
    let found = unsafe { std::ptr::read_unaligned(*version) };
    if found != ABI_VERSION {
        return Err(LoadError::AbiMismatch {
            path: path.to_path_buf(),
            expected: ABI_VERSION,
            found,
        });
    }

    // SAFETY: with the version matched, the ABI declares this symbol as
    // `extern "C" fn() -> *const AdapterApi`.
    let entry: Symbol<unsafe extern "C" fn() -> *const AdapterApi> =
        unsafe { library.get(ENTRY_SYMBOL) }.map_err(|_| not_an_adapter(ENTRY_SYMBOL))?;
    // SAFETY: the entry function takes nothing and returns a pointer to a static table.
    let table = unsafe { entry() };
    // SAFETY: the version symbol matched, so the table honours this ABI's contract, and
    // the library is never unloaded.
    unsafe { LibraryApi::from_raw(table) }.map_err(|error| LoadError::BadTable {
        path: path.to_path_buf(),
        error,
    })
}
