//! The deterministic WebAssembly sandbox: wasmtime (Cranelift) running a `wasm32-wasip1`
//! command with the manifest's limits.
//!
//! Determinism comes from what the module can reach, not from trust: the only imports are a
//! small WASI preview 1 surface implemented here (stdin = the job input, stdout = the output,
//! stderr kept for logs, `argv` from the manifest, an empty environment, no files, no sockets,
//! a clock frozen at 0, and `random_get` filled from a fixed-seed stream so `HashMap`s work and
//! still agree across machines). NaN bit patterns are canonicalised, relaxed SIMD is made
//! deterministic, threads are off, and fuel metering counts instructions.
//!
//! Outcomes are split by whether another honest machine would see the same thing:
//! - deterministic, hashed and agreed on like any result: a normal exit (code + stdout), a trap
//!   ([`EXIT_TRAP`]), fuel exhaustion ([`EXIT_OUT_OF_FUEL`]), stdout over the output limit
//!   ([`EXIT_OUTPUT_TOO_LARGE`], the write that crosses it stops the module, so memory use stays
//!   bounded), a module that does not compile or instantiate, or is over the shape budget of
//!   [`crate::modcheck`] ([`EXIT_INVALID_MODULE`]);
//!   memory beyond the limit makes `memory.grow` fail, which a module sees (and usually aborts
//!   on, a trap);
//! - not deterministic, a [`SandboxError`]: the wall-clock limit (machines differ in speed) and
//!   internal engine failures. A worker that gets one abandons the slot rather than commit.
//!   How long compiling takes is not deterministic either: [`Sandbox::prepare`] bounds it
//!   before a claim, so a module too slow to compile is passed on, never claimed.
//!
//! Every host call is bounded by the guest's own memory (itself capped by the manifest):
//! `random_get` fills guest memory in place, iovec arrays are read entry by entry from guest
//! memory and hold at most [`IOV_MAX`] entries; the host allocates nothing a guest sizes.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use depin_client::manifest::Limits;

use crate::{recent::RecentSet, stackguard};
use depin_core::{
    exec::{EXIT_INVALID_MODULE, EXIT_OUTPUT_TOO_LARGE, EXIT_OUT_OF_FUEL, EXIT_TRAP},
    hash::Hash32,
};
use wasmtime::{
    Caller, Config, Engine, Extern, Linker, Memory, Module, OptLevel, Store, StoreLimits,
    StoreLimitsBuilder, Trap,
};

/// Granularity of the wall-clock limit.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// Most stderr bytes kept: the job's logs, part of the result (hashed and agreed on).
const STDERR_CAP: usize = depin_core::exec::MAX_LOG_BYTES;
/// Compiled modules kept in memory.
const MODULE_CACHE: usize = 32;
const WASI: &str = "wasi_snapshot_preview1";

/// A finished, deterministic execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Exit code, or one of the `depin_core::exec::EXIT_*` failure codes.
    pub exit_code: i32,
    /// stdout (empty for the failure codes).
    pub output: Vec<u8>,
    /// stderr, truncated to `MAX_LOG_BYTES`: the job's logs, part of the result.
    pub stderr: Vec<u8>,
    /// Fuel consumed.
    pub fuel_used: u64,
    /// Wall time of the run (compilation excluded).
    pub elapsed: Duration,
    /// Whether the module came from the compile cache.
    pub cache_hit: bool,
    /// What happened, for logs (`exit 0`, `trap: wasm trap: ...`, ...).
    pub detail: String,
}

/// A run that produced no result another machine would reproduce.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The wall-clock limit passed.
    #[error("wall-clock limit of {0:?} reached")]
    WallClock(Duration),
    /// The engine failed (not the module's fault).
    #[error("sandbox failure: {0}")]
    Internal(String),
}

/// What the module's host calls act on.
struct Ctx {
    input: Arc<Vec<u8>>,
    input_pos: usize,
    stdout: Vec<u8>,
    stdout_cap: u64,
    stderr: Vec<u8>,
    /// A copy of stderr as it is written, for the requester's live view (unverified).
    live: Option<crate::live::LiveBuf>,
    args: Vec<Vec<u8>>,
    rng: DetRng,
    limits: Limiter,
}

/// The store's limits, and whether the host failed a growth they allowed (a host resource
/// failure, which another machine would not have: not a result). Growth past the module's own
/// declared maximum, or past what its memory type can represent (`memory.grow(-1)`), fails
/// the same way everywhere: denied here, or recognised as such, and never counted.
struct Limiter {
    inner: StoreLimits,
    host_failure: Option<String>,
    /// Whether the last growth asked of the limiter was allowed by it (a failure after that
    /// is the host's, unless it names the module's own limits).
    allowed: bool,
}

/// Whether a growth failure names the module's own limits (deterministic), as wasmtime 48
/// words them: growth past the declared maximum or the type's range, or a size overflow.
fn own_limits(error: &wasmtime::Error) -> bool {
    let text = error.to_string();
    [
        "maximum size exceeded",
        "exceeds memory type's limits",
        "overflow calculating",
    ]
    .iter()
    .any(|m| text.contains(m))
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.allowed = maximum.is_none_or(|m| desired <= m)
            && self.inner.memory_growing(current, desired, maximum)?;
        Ok(self.allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        if self.allowed && !own_limits(&error) {
            self.host_failure = Some(format!("memory growth failed on this host: {error}"));
        }
        self.allowed = false;
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.allowed = maximum.is_none_or(|m| desired <= m)
            && self.inner.table_growing(current, desired, maximum)?;
        Ok(self.allowed)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        if self.allowed && !own_limits(&error) {
            self.host_failure = Some(format!("table growth failed on this host: {error}"));
        }
        self.allowed = false;
        Ok(())
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Most elements of a table.
const TABLE_ELEMENTS: usize = 1 << 20;

/// What ran on the big stack: the entry point's outcome, a module without one, or an
/// instantiation that failed.
enum Ran {
    Called(wasmtime::Result<()>),
    NotStarted(String),
    NotInstantiated(wasmtime::Error),
}

/// `proc_exit` unwinding out of the module.
#[derive(Debug)]
struct Exit(i32);
impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}
impl std::error::Error for Exit {}

/// stdout crossed the output limit.
#[derive(Debug)]
struct OutputTooLarge;
impl std::fmt::Display for OutputTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("output limit exceeded")
    }
}
impl std::error::Error for OutputTooLarge {}

/// The sandbox: one engine, a compile cache, and the epoch ticker behind the wall-clock limit.
pub struct Sandbox {
    engine: Engine,
    cache: Mutex<(HashMap<Hash32, Module>, VecDeque<Hash32>)>,
    /// Modules whose compilation overran the budget of [`Self::prepare`]: refused at once
    /// afterwards (a requester re-posting one cannot make the worker compile it again).
    slow: Mutex<RecentSet<Hash32>>,
    /// Compilations still running after their budget ran out: while one is, no new module is
    /// prepared (a stream of slow modules cannot pile up compiler threads that starve honest
    /// runs).
    overrunning: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// Whether a module can run here, found before a claim ([`Sandbox::prepare`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Compiled and cached.
    Ready,
    /// Not a valid module or over the shape budget ([`crate::modcheck`]): every replica
    /// reports it as [`EXIT_INVALID_MODULE`], a result like any other.
    Invalid(String),
}

/// Modules remembered as too slow to compile.
const SLOW_KEPT: usize = 4096;

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Sandbox {
    /// A sandbox with the deterministic engine configuration.
    pub fn new() -> anyhow::Result<Self> {
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .epoch_interruption(true)
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true)
            .cranelift_opt_level(OptLevel::Speed)
            // The counted depth limit (`stackguard`) is reached long before this one.
            .max_wasm_stack(stackguard::NATIVE_STACK)
            .async_stack_size(stackguard::NATIVE_STACK + (1 << 20));
        // The WebAssembly features, listed rather than left to the engine's defaults (which
        // change between versions): what `wasm32-wasip1` compilers emit, and nothing that
        // could leave a frame without passing its depth thunk (tail calls, exceptions) or
        // behave differently between machines (threads).
        use wasmtime::WasmFeatures as F;
        config
            .wasm_features(
                F::MUTABLE_GLOBAL
                    | F::SATURATING_FLOAT_TO_INT
                    | F::SIGN_EXTENSION
                    | F::MULTI_VALUE
                    | F::BULK_MEMORY
                    | F::REFERENCE_TYPES
                    | F::SIMD
                    | F::RELAXED_SIMD
                    | F::EXTENDED_CONST
                    | F::FLOATS,
                true,
            )
            .wasm_features(
                F::TAIL_CALL
                    | F::EXCEPTIONS
                    | F::LEGACY_EXCEPTIONS
                    | F::THREADS
                    | F::SHARED_EVERYTHING_THREADS
                    | F::GC
                    | F::FUNCTION_REFERENCES
                    | F::MULTI_MEMORY
                    | F::MEMORY64
                    | F::CUSTOM_PAGE_SIZES
                    | F::WIDE_ARITHMETIC
                    | F::STACK_SWITCHING
                    | F::COMPONENT_MODEL,
                false,
            );
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("wasmtime engine: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (ticker, flag) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("depin-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticker.increment_epoch();
                }
            })?;
        Ok(Sandbox {
            engine,
            cache: Mutex::new((HashMap::new(), VecDeque::new())),
            slow: Mutex::new(RecentSet::new(SLOW_KEPT)),
            overrunning: Arc::default(),
            stop,
        })
    }

    /// The compiled module for `wasm` (whose sha256 is `hash`), from the cache or compiled now;
    /// `Err` holds the reason when it is not valid WebAssembly or is over the shape budget.
    pub fn module(&self, hash: &Hash32, wasm: &[u8]) -> Result<(Module, bool), String> {
        if let Some(m) = self.cached(hash) {
            return Ok((m, true));
        }
        crate::modcheck::check(wasm)?;
        let module = self.compile(wasm)?;
        self.remember(hash, &module);
        Ok((module, false))
    }

    /// The module with the deterministic depth limit (`stackguard`), compiled.
    fn compile(&self, wasm: &[u8]) -> Result<Module, String> {
        // Validated as written, with the engine's exact features, before the rewrite: the
        // rewrite adds a global and functions, which would otherwise give meaning to indices
        // that are out of range in the original (a `global.set` of the depth counter, an
        // element naming a moved body directly) and let a module escape the depth limit.
        Module::validate(&self.engine, wasm).map_err(|e| format!("{e:#}"))?;
        let guarded = stackguard::instrument(wasm)?;
        Module::new(&self.engine, &guarded).map_err(|e| format!("{e:#}"))
    }

    fn cached(&self, hash: &Hash32) -> Option<Module> {
        self.cache.lock().expect("cache lock").0.get(hash).cloned()
    }

    fn remember(&self, hash: &Hash32, module: &Module) {
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.0.insert(*hash, module.clone()).is_none() {
            cache.1.push_back(*hash);
            while cache.1.len() > MODULE_CACHE {
                if let Some(old) = cache.1.pop_front() {
                    cache.0.remove(&old);
                }
            }
        }
    }

    /// Compile `wasm` (sha256 `hash`) before a claim, within `budget` of wall time. `Err` when
    /// compiling takes longer here (this machine's speed, not a property of the module: the
    /// job is passed on, never claimed); the compilation then finishes in the background and
    /// the module is refused at once from then on. Blocking: call it from a blocking thread.
    pub fn prepare(
        self: &Arc<Self>,
        hash: &Hash32,
        wasm: Arc<Vec<u8>>,
        budget: Duration,
    ) -> Result<Readiness, String> {
        if self.cached(hash).is_some() {
            return Ok(Readiness::Ready);
        }
        if self.slow.lock().expect("slow lock").contains(hash) {
            return Err("compiling it overran the budget before".into());
        }
        if let Err(why) = crate::modcheck::check(&wasm) {
            return Ok(Readiness::Invalid(why));
        }
        if self.overrunning.load(Ordering::SeqCst) > 0 {
            return Err("a module that overran its compile budget is still compiling".into());
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (this, h) = (self.clone(), *hash);
        // 0: compiling, 1: over its budget (counted in `overrunning`), 2: done.
        let state = Arc::new(std::sync::atomic::AtomicU8::new(0));
        let late = state.clone();
        std::thread::Builder::new()
            .name("depin-compile".into())
            .spawn(move || {
                let compiled = this.compile(&wasm);
                if let Ok(m) = &compiled {
                    this.remember(&h, m);
                }
                let _ = tx.send(compiled.map(|_| ()));
                if late.swap(2, Ordering::SeqCst) == 1 {
                    this.overrunning.fetch_sub(1, Ordering::SeqCst);
                }
            })
            .map_err(|e| format!("starting the compiler thread: {e}"))?;
        match rx.recv_timeout(budget) {
            Ok(Ok(())) => Ok(Readiness::Ready),
            Ok(Err(why)) => Ok(Readiness::Invalid(why)),
            Err(_) => {
                // Counted first; uncounted at once if the compilation ended meanwhile, else
                // by the compiler thread when it does.
                self.overrunning.fetch_add(1, Ordering::SeqCst);
                if state
                    .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                    .is_err()
                {
                    self.overrunning.fetch_sub(1, Ordering::SeqCst);
                }
                self.slow.lock().expect("slow lock").insert(*hash);
                Err(format!(
                    "compiling took longer than {} ms",
                    budget.as_millis()
                ))
            }
        }
    }

    /// Forget every compiled module (benchmarks measure the cold path with it).
    pub fn clear_cache(&self) {
        let mut cache = self.cache.lock().expect("cache lock");
        cache.0.clear();
        cache.1.clear();
    }

    /// Run the command module `wasm` (sha256 `hash`) with `input` on stdin, `argv` =
    /// `[name, args...]`, under `limits`. Blocking: call it from a blocking thread.
    pub fn run(
        &self,
        hash: &Hash32,
        wasm: &[u8],
        name: &str,
        args: &[String],
        input: Arc<Vec<u8>>,
        limits: &Limits,
    ) -> Result<Execution, SandboxError> {
        self.run_observed(hash, wasm, name, args, input, limits, None)
    }

    /// [`Self::run`], copying stderr into `live` as it is written.
    #[allow(clippy::too_many_arguments)]
    pub fn run_observed(
        &self,
        hash: &Hash32,
        wasm: &[u8],
        name: &str,
        args: &[String],
        input: Arc<Vec<u8>>,
        limits: &Limits,
        live: Option<crate::live::LiveBuf>,
    ) -> Result<Execution, SandboxError> {
        let started = Instant::now();
        let failed = |code: i32, detail: String, cache_hit: bool| Execution {
            exit_code: code,
            output: Vec::new(),
            stderr: Vec::new(),
            fuel_used: 0,
            elapsed: started.elapsed(),
            cache_hit,
            detail,
        };
        let (module, cache_hit) = match self.module(hash, wasm) {
            Ok(m) => m,
            Err(why) => {
                return Ok(failed(
                    EXIT_INVALID_MODULE,
                    format!("invalid module: {why}"),
                    false,
                ))
            }
        };
        let memory = usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX);
        let ctx = Ctx {
            input,
            input_pos: 0,
            stdout: Vec::new(),
            stdout_cap: limits.output_bytes,
            stderr: Vec::new(),
            live,
            args: std::iter::once(name)
                .chain(args.iter().map(String::as_str))
                .map(|a| {
                    let mut v = a.as_bytes().to_vec();
                    v.push(0);
                    v
                })
                .collect(),
            rng: DetRng::new(),
            limits: Limiter {
                inner: StoreLimitsBuilder::new()
                    .memory_size(memory)
                    .memories(1)
                    .instances(1)
                    .tables(4)
                    .table_elements(TABLE_ELEMENTS)
                    .trap_on_grow_failure(false)
                    .build(),
                host_failure: None,
                allowed: false,
            },
        };
        // What the module needs to start, read from its bytes: asking more than the limits
        // is the same on every machine (an invalid module); an instantiation that fails
        // otherwise is this host's failure (the slot is given back).
        if let Err(why) = crate::modcheck::fits(wasm, limits.memory_bytes, TABLE_ELEMENTS as u64) {
            return Ok(failed(
                EXIT_INVALID_MODULE,
                format!("cannot start within the limits: {why}"),
                cache_hit,
            ));
        }
        let mut store = Store::new(&self.engine, ctx);
        store.limiter(|c| &mut c.limits);
        store
            .set_fuel(limits.fuel)
            .map_err(|e| SandboxError::Internal(e.to_string()))?;
        let ticks = limits
            .wall_ms
            .div_ceil(EPOCH_TICK.as_millis() as u64)
            .max(1);
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();

        let mut linker: Linker<Ctx> = Linker::new(&self.engine);
        define_wasi(&mut linker).map_err(|e| SandboxError::Internal(e.to_string()))?;
        if let Err(e) = linker.define_unknown_imports_as_traps(&module) {
            return Ok(failed(
                EXIT_INVALID_MODULE,
                format!("imports: {e}"),
                cache_hit,
            ));
        }
        // Linking is checked without allocating anything: imports that do not match (an
        // unknown memory or table import, a WASI function with the wrong signature) make the
        // module invalid on every machine.
        let pre = match linker.instantiate_pre(&module) {
            Ok(p) => p,
            Err(e) => {
                return Ok(failed(
                    EXIT_INVALID_MODULE,
                    format!("imports: {e:#}"),
                    cache_hit,
                ))
            }
        };
        // On a thread with the native stack the depth limit is sized for (`stackguard`); the
        // module's start function and segment initialisers run during instantiation, so that
        // happens there too.
        let ran = stackguard::on_big_stack(|| {
            let instance = match pre.instantiate(&mut store) {
                Ok(i) => i,
                Err(e) => return Ran::NotInstantiated(e),
            };
            match instance.get_typed_func::<(), ()>(&mut store, "_start") {
                Ok(start) => Ran::Called(start.call(&mut store, ())),
                Err(_) => Ran::NotStarted("no `_start` export (not a WASI command)".into()),
            }
        })
        .map_err(|e| SandboxError::Internal(e.to_string()))?;
        let outcome = match ran {
            Ran::NotStarted(why) => return Ok(failed(EXIT_INVALID_MODULE, why, cache_hit)),
            Ran::Called(outcome) => outcome,
            // A trap or an exit while instantiating (a start function, a segment out of
            // bounds) is as deterministic as one in `_start`; anything else there (memory
            // that cannot be mapped) is this host's failure.
            Ran::NotInstantiated(e)
                if e.downcast_ref::<Trap>().is_some()
                    || e.downcast_ref::<Exit>().is_some()
                    || e.downcast_ref::<OutputTooLarge>().is_some() =>
            {
                Err(e)
            }
            Ran::NotInstantiated(e) => {
                return Err(SandboxError::Internal(format!("instantiating: {e:#}")))
            }
        };
        if let Some(why) = store.data_mut().limits.host_failure.take() {
            return Err(SandboxError::Internal(why));
        }
        // The counted depth limit traps first on any sane machine; the native one running out
        // means this machine broke the bound the limit is sized by: not a result.
        if let Some(Trap::StackOverflow) = outcome
            .as_ref()
            .err()
            .and_then(|e| e.downcast_ref::<Trap>())
        {
            return Err(SandboxError::Internal(
                "the native stack ran out before the counted depth limit".into(),
            ));
        }
        let fuel_used = limits.fuel - store.get_fuel().unwrap_or(0);
        let mut ctx = store.into_data();
        // Where a module stops on fuel exhaustion (the engine's cost model) is not something
        // every replica is sure to share across engine versions: the logs written up to there
        // are dropped, as the output is, so those results stay `(code, empty, empty)`.
        if let Some(Trap::OutOfFuel) = outcome
            .as_ref()
            .err()
            .and_then(|e| e.downcast_ref::<Trap>())
        {
            ctx.stderr.clear();
        }
        let (exit_code, output, detail) = match outcome {
            Ok(()) => (0, ctx.stdout, "exit 0".to_string()),
            Err(e) => {
                if let Some(Exit(code)) = e.downcast_ref::<Exit>() {
                    (*code, ctx.stdout, format!("exit {code}"))
                } else if e.downcast_ref::<OutputTooLarge>().is_some() {
                    (
                        EXIT_OUTPUT_TOO_LARGE,
                        Vec::new(),
                        format!("output over {} bytes", limits.output_bytes),
                    )
                } else {
                    match e.downcast_ref::<Trap>() {
                        Some(Trap::Interrupt) => {
                            return Err(SandboxError::WallClock(Duration::from_millis(
                                limits.wall_ms,
                            )))
                        }
                        Some(Trap::OutOfFuel) => {
                            (EXIT_OUT_OF_FUEL, Vec::new(), "out of fuel".into())
                        }
                        Some(trap) => (EXIT_TRAP, Vec::new(), format!("trap: {trap}")),
                        None => (EXIT_TRAP, Vec::new(), format!("trap: {e}")),
                    }
                }
            }
        };
        Ok(Execution {
            exit_code,
            output,
            stderr: ctx.stderr,
            fuel_used,
            elapsed: started.elapsed(),
            cache_hit,
            detail,
        })
    }
}

/// A fixed-seed xorshift stream for `random_get`: the same bytes on every machine.
struct DetRng(u64);
impl DetRng {
    fn new() -> Self {
        DetRng(0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

// WASI errno values.
const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const ENOSYS: i32 = 52;
const ESPIPE: i32 = 70;

fn memory(caller: &mut Caller<'_, Ctx>) -> Option<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Some(m),
        _ => None,
    }
}

fn range(len: usize, ptr: i32, n: usize) -> Option<std::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    let end = start.checked_add(n)?;
    (end <= len).then_some(start..end)
}

fn read_u32(mem: &[u8], ptr: usize) -> Option<u32> {
    Some(u32::from_le_bytes(mem.get(ptr..ptr + 4)?.try_into().ok()?))
}

fn write_bytes(caller: &mut Caller<'_, Ctx>, ptr: i32, bytes: &[u8]) -> i32 {
    let Some(mem) = memory(caller) else {
        return EFAULT;
    };
    let data = mem.data_mut(caller);
    match range(data.len(), ptr, bytes.len()) {
        Some(r) => {
            data[r].copy_from_slice(bytes);
            ESUCCESS
        }
        None => EFAULT,
    }
}

/// Most iovec entries one `fd_read` / `fd_write` call may pass (POSIX `IOV_MAX`): a guest
/// cannot make the host walk millions of entries per call.
const IOV_MAX: usize = 1024;

/// Entry `i` of the iovec array at `iovs`, `None` when it (or the buffer it names) is outside
/// the guest memory.
fn iovec(mem: &[u8], iovs: i32, i: usize) -> Option<(usize, usize)> {
    let at = (iovs as u32 as usize).checked_add(i.checked_mul(8)?)?;
    let p = read_u32(mem, at)? as usize;
    let l = read_u32(mem, at.checked_add(4)?)? as usize;
    range(mem.len(), p as i32, l)?;
    Some((p, l))
}

/// The number of entries of an iovec array if every entry is in bounds and there are at most
/// [`IOV_MAX`] (checked before any byte moves, so a call happens whole or fails with
/// `EFAULT`/`EINVAL`); the host allocates nothing per entry.
fn iovec_count(mem: &[u8], iovs: i32, n: i32) -> Result<usize, i32> {
    let n = n as u32 as usize;
    if n > IOV_MAX {
        return Err(EINVAL);
    }
    for i in 0..n {
        iovec(mem, iovs, i).ok_or(EFAULT)?;
    }
    Ok(n)
}

/// Sizes then contents of a NUL-terminated string list (`args_*` / `environ_*`).
fn list_sizes(
    caller: &mut Caller<'_, Ctx>,
    list: &[Vec<u8>],
    count_ptr: i32,
    size_ptr: i32,
) -> i32 {
    let size: usize = list.iter().map(Vec::len).sum();
    let e = write_bytes(caller, count_ptr, &(list.len() as u32).to_le_bytes());
    if e != ESUCCESS {
        return e;
    }
    write_bytes(caller, size_ptr, &(size as u32).to_le_bytes())
}

fn list_get(caller: &mut Caller<'_, Ctx>, list: &[Vec<u8>], ptrs: i32, buf: i32) -> i32 {
    let mut offset = buf as u32;
    for (i, item) in list.iter().enumerate() {
        let e = write_bytes(caller, ptrs + 4 * i as i32, &offset.to_le_bytes());
        if e != ESUCCESS {
            return e;
        }
        let e = write_bytes(caller, offset as i32, item);
        if e != ESUCCESS {
            return e;
        }
        offset += item.len() as u32;
    }
    ESUCCESS
}

fn define_wasi(linker: &mut Linker<Ctx>) -> wasmtime::Result<()> {
    linker.func_wrap(
        WASI,
        "args_sizes_get",
        |mut c: Caller<'_, Ctx>, n: i32, s: i32| {
            let args = c.data().args.clone();
            list_sizes(&mut c, &args, n, s)
        },
    )?;
    linker.func_wrap(
        WASI,
        "args_get",
        |mut c: Caller<'_, Ctx>, p: i32, b: i32| {
            let args = c.data().args.clone();
            list_get(&mut c, &args, p, b)
        },
    )?;
    linker.func_wrap(
        WASI,
        "environ_sizes_get",
        |mut c: Caller<'_, Ctx>, n: i32, s: i32| list_sizes(&mut c, &[], n, s),
    )?;
    linker.func_wrap(WASI, "environ_get", |_: Caller<'_, Ctx>, _: i32, _: i32| {
        ESUCCESS
    })?;
    linker.func_wrap(
        WASI,
        "clock_time_get",
        |mut c: Caller<'_, Ctx>, _id: i32, _precision: i64, out: i32| {
            write_bytes(&mut c, out, &0u64.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI,
        "clock_res_get",
        |mut c: Caller<'_, Ctx>, _id: i32, out: i32| write_bytes(&mut c, out, &1u64.to_le_bytes()),
    )?;
    linker.func_wrap(
        WASI,
        "random_get",
        |mut c: Caller<'_, Ctx>, buf: i32, len: i32| {
            // Filled in place in the guest's memory after the range check: the host allocates
            // nothing, whatever length the guest asks for.
            let Some(mem) = memory(&mut c) else {
                return EFAULT;
            };
            let (data, ctx) = mem.data_and_store_mut(&mut c);
            let Some(r) = range(data.len(), buf, len as u32 as usize) else {
                return EFAULT;
            };
            for chunk in data[r].chunks_mut(8) {
                let bytes = ctx.rng.next().to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            ESUCCESS
        },
    )?;
    linker.func_wrap(WASI, "sched_yield", |_: Caller<'_, Ctx>| ESUCCESS)?;
    linker.func_wrap(
        WASI,
        "proc_exit",
        |_: Caller<'_, Ctx>, code: i32| -> wasmtime::Result<()> {
            Err(wasmtime::Error::new(Exit(code)))
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_write",
        |mut c: Caller<'_, Ctx>,
         fd: i32,
         iovs: i32,
         n: i32,
         written: i32|
         -> wasmtime::Result<i32> {
            if fd != 1 && fd != 2 {
                return Ok(EBADF);
            }
            let Some(mem) = memory(&mut c) else {
                return Ok(EFAULT);
            };
            let (data, ctx) = mem.data_and_store_mut(&mut c);
            let count = match iovec_count(data, iovs, n) {
                Ok(k) => k,
                Err(errno) => return Ok(errno),
            };
            let mut total = 0usize;
            for (p, l) in (0..count).filter_map(|i| iovec(data, iovs, i)) {
                let bytes = &data[p..p + l];
                if fd == 1 {
                    if ctx.stdout.len() as u64 + l as u64 > ctx.stdout_cap {
                        return Err(wasmtime::Error::new(OutputTooLarge));
                    }
                    ctx.stdout.extend_from_slice(bytes);
                } else {
                    let room = STDERR_CAP.saturating_sub(ctx.stderr.len());
                    ctx.stderr.extend_from_slice(&bytes[..l.min(room)]);
                    if let Some(live) = &ctx.live {
                        let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
                        live.extend_from_slice(&bytes[..l.min(room)]);
                    }
                }
                total += l;
            }
            Ok(write_bytes(&mut c, written, &(total as u32).to_le_bytes()))
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_read",
        |mut c: Caller<'_, Ctx>, fd: i32, iovs: i32, n: i32, read: i32| -> i32 {
            if fd != 0 {
                return EBADF;
            }
            let Some(mem) = memory(&mut c) else {
                return EFAULT;
            };
            let (data, ctx) = mem.data_and_store_mut(&mut c);
            let count = match iovec_count(data, iovs, n) {
                Ok(k) => k,
                Err(errno) => return errno,
            };
            let mut total = 0usize;
            for i in 0..count {
                let Some((p, l)) = iovec(data, iovs, i) else {
                    return EFAULT;
                };
                let left = &ctx.input[ctx.input_pos..];
                let k = l.min(left.len());
                data[p..p + k].copy_from_slice(&left[..k]);
                ctx.input_pos += k;
                total += k;
                if k < l {
                    break;
                }
            }
            write_bytes(&mut c, read, &(total as u32).to_le_bytes())
        },
    )?;
    linker.func_wrap(WASI, "fd_close", |_: Caller<'_, Ctx>, fd: i32| {
        if (0..=2).contains(&fd) {
            ESUCCESS
        } else {
            EBADF
        }
    })?;
    linker.func_wrap(
        WASI,
        "fd_fdstat_get",
        |mut c: Caller<'_, Ctx>, fd: i32, out: i32| {
            if !(0..=2).contains(&fd) {
                return EBADF;
            }
            // fdstat: filetype (character device), flags, rights base / inheriting.
            let mut stat = [0u8; 24];
            stat[0] = 2;
            stat[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
            write_bytes(&mut c, out, &stat)
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_fdstat_set_flags",
        |_: Caller<'_, Ctx>, _: i32, _: i32| ENOSYS,
    )?;
    linker.func_wrap(
        WASI,
        "fd_seek",
        |_: Caller<'_, Ctx>, fd: i32, _: i64, _: i32, _: i32| {
            if (0..=2).contains(&fd) {
                ESPIPE
            } else {
                EBADF
            }
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_prestat_get",
        |_: Caller<'_, Ctx>, _: i32, _: i32| EBADF,
    )?;
    linker.func_wrap(
        WASI,
        "fd_prestat_dir_name",
        |_: Caller<'_, Ctx>, _: i32, _: i32, _: i32| EBADF,
    )?;
    linker.func_wrap(
        WASI,
        "fd_filestat_get",
        |_: Caller<'_, Ctx>, _: i32, _: i32| EBADF,
    )?;
    linker.func_wrap(
        WASI,
        "path_open",
        |_: Caller<'_, Ctx>,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i64,
         _: i64,
         _: i32,
         _: i32| EBADF,
    )?;
    linker.func_wrap(
        WASI,
        "poll_oneoff",
        |_: Caller<'_, Ctx>, _: i32, _: i32, _: i32, _: i32| ENOSYS,
    )?;
    linker.func_wrap(WASI, "proc_raise", |_: Caller<'_, Ctx>, _: i32| EINVAL)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            fuel: 10_000_000,
            memory_bytes: 16 << 20,
            wall_ms: 10_000,
            output_bytes: 1024,
        }
    }

    fn run(wat: &str, input: &[u8], l: &Limits) -> Result<Execution, SandboxError> {
        let sb = Sandbox::new().unwrap();
        let wasm = wat::parse_str(wat).unwrap();
        let hash = depin_client::blob::sha256(&wasm);
        sb.run(
            &hash,
            &wasm,
            "t",
            &["a1".into()],
            Arc::new(input.to_vec()),
            l,
        )
    }

    /// Echo stdin to stdout, then exit with the first input byte.
    const ECHO: &str = r#"(module
      (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 64))
        (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (i32.store (i32.const 4) (i32.load (i32.const 8)))
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
        (call $exit (i32.load8_u (i32.const 100)))))"#;

    /// Calls `random_get(ptr, len)` with the two numbers of its input, then exits with the
    /// errno it got (a guest probing the host for an allocation it sizes).
    const RANDOM_PROBE: &str = r#"(module
      (import "wasi_snapshot_preview1" "random_get" (func $rand (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 8))
        (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $exit (call $rand (i32.load (i32.const 100)) (i32.load (i32.const 104))))))"#;

    fn probe(ptr: u32, len: u32) -> i32 {
        let mut input = ptr.to_le_bytes().to_vec();
        input.extend_from_slice(&len.to_le_bytes());
        run(RANDOM_PROBE, &input, &limits()).unwrap().exit_code
    }

    #[test]
    fn random_get_is_bounded_by_guest_memory() {
        // In range: filled (errno 0). Out of range, whatever the length (up to 4 GiB - 1):
        // EFAULT, at once, with nothing allocated by the host.
        assert_eq!(probe(200, 4096), ESUCCESS);
        assert_eq!(probe(0, 65536), ESUCCESS);
        for (ptr, len) in [(0, u32::MAX), (0, 65537), (65535, 2), (u32::MAX, 1)] {
            let started = Instant::now();
            assert_eq!(probe(ptr, len), EFAULT, "random_get({ptr}, {len})");
            assert!(started.elapsed() < Duration::from_secs(5));
        }
    }

    /// `fd_write` to stdout with an iovec array of `n` entries (each naming 1 byte), then
    /// exits with the errno.
    fn iovec_probe(n: u32) -> i32 {
        let wat = format!(
            r#"(module
              (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (func (export "_start") (local $i i32)
                (loop
                  (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 60000))
                  (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 0))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if 0 (i32.lt_u (local.get $i) (i32.const {n}))))
                (call $exit (call $w (i32.const 1) (i32.const 0) (i32.const {n}) (i32.const 65000)))))"#
        );
        run(&wat, b"", &limits()).unwrap().exit_code
    }

    #[test]
    fn failures_the_module_causes_are_results_not_host_failures() {
        // Each of these fails the same way on every machine: a result, never a give-back.
        let cases = [
            // growing past the declared maximum, and by -1 pages: memory.grow returns -1,
            // which the module turns into its exit code 7
            (
                r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                  (memory (export "memory") 1 1)
                  (func (export "_start")
                    (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then
                      (if (i32.eq (memory.grow (i32.const -1)) (i32.const -1)) (then
                        (call $exit (i32.const 7))))))
                    unreachable))"#,
                7,
            ),
            // a start function that traps
            (
                r#"(module (func $s unreachable) (start $s) (func (export "_start")))"#,
                EXIT_TRAP,
            ),
            // a data segment out of bounds
            (
                r#"(module (memory 1) (data (i32.const 65535) "ab") (func (export "_start")))"#,
                EXIT_TRAP,
            ),
            // an import nobody provides that is not a function
            (
                r#"(module (import "env" "memory" (memory 1)) (func (export "_start")))"#,
                EXIT_INVALID_MODULE,
            ),
            // a WASI function imported with the wrong signature
            (
                r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64)))
                  (func (export "_start")))"#,
                EXIT_INVALID_MODULE,
            ),
        ];
        for (wat, code) in cases {
            let e = run(wat, b"", &limits())
                .unwrap_or_else(|err| panic!("a host failure for {wat}: {err}"));
            assert_eq!(e.exit_code, code, "{wat}: {}", e.detail);
        }
    }

    #[test]
    fn indices_the_depth_rewrite_would_give_meaning_to_are_invalid() {
        // `global.set 1` with one global: out of range as written, though index 1 is the
        // depth counter after the rewrite; an element naming function 2 of 2: the moved body.
        for (what, wat) in [
            (
                "the depth counter",
                r#"(module (global (mut i32) (i32.const 0))
                  (func (export "_start") (global.set 1 (i32.const 0))))"#,
            ),
            (
                "a moved body",
                r#"(module (table 4 funcref) (elem (i32.const 0) func 2)
                  (func (export "_start")) (func))"#,
            ),
        ] {
            let e = run(wat, b"", &limits()).unwrap();
            assert_eq!(e.exit_code, EXIT_INVALID_MODULE, "{what}: {}", e.detail);
        }
    }

    #[test]
    fn iovec_arrays_are_capped() {
        assert_eq!(iovec_probe(IOV_MAX as u32), ESUCCESS);
        assert_eq!(iovec_probe(IOV_MAX as u32 + 1), EINVAL);
    }

    #[test]
    fn prepare_compiles_within_a_budget_before_any_claim() {
        let sb = Arc::new(Sandbox::new().unwrap());
        let ok = wat::parse_str(ECHO).unwrap();
        let ok_hash = depin_client::blob::sha256(&ok);
        let budget = Duration::from_secs(30);
        assert_eq!(
            sb.prepare(&ok_hash, Arc::new(ok.clone()), budget),
            Ok(Readiness::Ready)
        );
        // The run that follows finds it compiled.
        let e = sb
            .run(
                &ok_hash,
                &ok,
                "t",
                &[],
                Arc::new(b"\x01".to_vec()),
                &limits(),
            )
            .unwrap();
        assert!(e.cache_hit);
        // Over the shape budget or not wasm: a result every replica agrees on.
        let bad = b"not wasm".to_vec();
        assert!(matches!(
            sb.prepare(&[1; 32], Arc::new(bad), budget),
            Ok(Readiness::Invalid(_))
        ));
        // Slower to compile than the budget (zero here): refused, then refused at once.
        let many: String = (0..2000)
            .map(|i| format!("(func (export \"f{i}\"))"))
            .collect();
        let slow = wat::parse_str(format!("(module {many})")).unwrap();
        let slow_hash = depin_client::blob::sha256(&slow);
        let err = sb
            .prepare(&slow_hash, Arc::new(slow.clone()), Duration::ZERO)
            .unwrap_err();
        assert!(err.contains("longer than 0 ms"), "{err}");
        let err = sb.prepare(&slow_hash, Arc::new(slow), budget).unwrap_err();
        assert!(err.contains("before"), "{err}");
        // While it still compiles nothing else is prepared; once it ends, preparing works.
        let other = wat::parse_str(NOISY).unwrap();
        let other_hash = depin_client::blob::sha256(&other);
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            match sb.prepare(&other_hash, Arc::new(other.clone()), budget) {
                Ok(r) => {
                    assert_eq!(r, Readiness::Ready);
                    break;
                }
                Err(e) => {
                    assert!(e.contains("still compiling"), "{e}");
                    assert!(Instant::now() < until, "the overrun never ended");
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }

    #[test]
    fn echo_exit_code_and_output() {
        let e = run(ECHO, b"\x07hello", &limits()).unwrap();
        assert_eq!((e.exit_code, e.output.as_slice()), (7, &b"\x07hello"[..]));
        assert!(e.fuel_used > 0);
    }

    /// Writes its 64 KiB memory page to stderr twice (128 KiB), then "out" to stdout.
    const NOISY: &str = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (data (i32.const 70000) "out")
      (func (export "_start")
        (i32.store (i32.const 65600) (i32.const 0))
        (i32.store (i32.const 65604) (i32.const 65536))
        (drop (call $write (i32.const 2) (i32.const 65600) (i32.const 1) (i32.const 65608)))
        (drop (call $write (i32.const 2) (i32.const 65600) (i32.const 1) (i32.const 65608)))
        (i32.store (i32.const 65600) (i32.const 70000))
        (i32.store (i32.const 65604) (i32.const 3))
        (drop (call $write (i32.const 1) (i32.const 65600) (i32.const 1) (i32.const 65608)))))"#;

    #[test]
    fn logs_are_capped_and_deterministic_and_part_of_the_result() {
        let a = run(NOISY, b"", &limits()).unwrap();
        let b = run(NOISY, b"", &limits()).unwrap();
        assert_eq!(a.output, b"out");
        assert_eq!(a.stderr.len(), depin_core::exec::MAX_LOG_BYTES);
        assert_eq!(
            (a.exit_code, &a.output, &a.stderr),
            (b.exit_code, &b.output, &b.stderr)
        );
        // The result hash covers the logs: the same output with other logs is another result.
        let h = depin_core::hash::result_hash(a.exit_code, &a.output, &a.stderr);
        assert_ne!(
            h,
            depin_core::hash::result_hash(a.exit_code, &a.output, b"")
        );
        let blob = depin_core::exec::encode_result_blob(a.exit_code, &a.output, &a.stderr);
        assert_eq!(depin_core::exec::result_blob_hash(&blob), Some(h));
    }

    #[test]
    fn stack_exhaustion_is_deterministic_and_fuel_exhaustion_drops_the_logs() {
        // Logs one byte per level of unbounded recursion. The depth it reaches is counted by
        // the module itself (`stackguard`), the same on every machine: a trap whose logs are
        // part of the result.
        let recurse = r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "x")
          (func $f
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 1))
            (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
            (call $f))
          (func (export "_start") (call $f)))"#;
        let mut l = limits();
        l.fuel = 10_000_000_000;
        let e = run(recurse, b"", &l).unwrap();
        assert_eq!(
            (e.exit_code, e.output.len()),
            (EXIT_TRAP, 0),
            "{}",
            e.detail
        );
        // 8 MiB counted at about 110 bytes a frame (overhead, operands, body): some 76 000
        // levels, each logging one byte, of which the first 64 KiB are kept.
        assert_eq!(e.stderr.len(), STDERR_CAP, "{}", e.detail);
        let again = run(recurse, b"", &l).unwrap();
        assert_eq!(
            again,
            Execution {
                elapsed: again.elapsed,
                ..e.clone()
            }
        );
        // The same module out of fuel first (a few hundred levels deep).
        l.fuel = 5_000;
        let e = run(recurse, b"", &l).unwrap();
        assert_eq!(
            (e.exit_code, e.stderr.len()),
            (EXIT_OUT_OF_FUEL, 0),
            "{}",
            e.detail
        );
        // A deterministic trap keeps its logs (a panic message is what a requester needs).
        let panics = r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "panicked")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 8))
            (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
            unreachable))"#;
        let e = run(panics, b"", &limits()).unwrap();
        assert_eq!(
            (e.exit_code, e.stderr.as_slice()),
            (EXIT_TRAP, &b"panicked"[..])
        );
    }

    #[test]
    fn deterministic_failures() {
        let trap = r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#;
        assert_eq!(run(trap, b"", &limits()).unwrap().exit_code, EXIT_TRAP);
        let spin =
            r#"(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))"#;
        let e = run(spin, b"", &limits()).unwrap();
        assert_eq!(e.exit_code, EXIT_OUT_OF_FUEL);
        assert_eq!(e.fuel_used, limits().fuel);
        // Grows memory until refused, then traps: the cap holds.
        let bomb = r#"(module (memory (export "memory") 1)
          (func (export "_start")
            (loop (br_if 0 (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
            unreachable))"#;
        let e = run(bomb, b"", &limits()).unwrap();
        assert_eq!(e.exit_code, EXIT_TRAP);
        let big = vec![1u8; 2000];
        assert_eq!(run(ECHO, &big[..64], &limits()).unwrap().exit_code, 1);
        let mut l = limits();
        l.output_bytes = 10;
        let e = run(ECHO, &big, &l).unwrap();
        assert_eq!((e.exit_code, e.output.len()), (EXIT_OUTPUT_TOO_LARGE, 0));
        assert_eq!(
            run("(module)", b"", &limits()).unwrap().exit_code,
            EXIT_INVALID_MODULE
        );
        let sb = Sandbox::new().unwrap();
        let e = sb
            .run(&[9; 32], b"not wasm", "t", &[], Arc::new(vec![]), &limits())
            .unwrap();
        assert_eq!(e.exit_code, EXIT_INVALID_MODULE);
        let unknown = r#"(module (import "env" "socket" (func $s)) (memory (export "memory") 1)
          (func (export "_start") call $s))"#;
        assert_eq!(run(unknown, b"", &limits()).unwrap().exit_code, EXIT_TRAP);
    }

    #[test]
    fn wall_clock_is_not_a_result() {
        let spin =
            r#"(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))"#;
        let l = Limits {
            fuel: u64::MAX / 2,
            wall_ms: 50,
            ..limits()
        };
        assert!(matches!(
            run(spin, b"", &l),
            Err(SandboxError::WallClock(_))
        ));
    }

    #[test]
    fn compile_cache_hits() {
        let sb = Sandbox::new().unwrap();
        let wasm = wat::parse_str(ECHO).unwrap();
        let h = depin_client::blob::sha256(&wasm);
        let input = Arc::new(b"\x00".to_vec());
        let first = sb
            .run(&h, &wasm, "t", &[], input.clone(), &limits())
            .unwrap();
        let second = sb.run(&h, &wasm, "t", &[], input, &limits()).unwrap();
        assert!(!first.cache_hit && second.cache_hit);
        assert_eq!(first.output, second.output);
    }
}
