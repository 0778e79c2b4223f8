//! A call-depth limit that is the same on every machine.
//!
//! Where a WebAssembly stack overflow traps natively depends on the CPU, the compiler version
//! and its register allocation, so a recursion depth tuned between two machines would split
//! replicas and get the honest minority slashed. Before compiling, every module is rewritten so
//! that the limit is counted by the module itself, in units that depend only on its bytes:
//!
//! - each defined function `f` gets a **thunk** at its own index (so every call, export, table
//!   element, `ref.func` and the start function go through it, unchanged), and its body moves,
//!   byte for byte, to a new index;
//! - the thunk adds `cost(f)` to a new mutable global, traps (`unreachable`) when the total
//!   exceeds [`LIMIT`], calls the body with its arguments, subtracts `cost(f)` and returns the
//!   body's results;
//! - `cost(f)` = the function's frame (locals) + its largest operand stack, in bytes, as NEAR's
//!   `finite-wasm` analysis computes them (the same analysis nearcore uses for its own
//!   deterministic stack limits), + the length of its body in bytes (a bound on the
//!   temporaries an optimising compiler may keep alive across a call) + [`FRAME_OVERHEAD`].
//!
//! The module is validated as written before the rewrite (`Sandbox::compile`): the rewrite
//! adds a global and functions, which would otherwise give meaning to indices that are out of
//! range in the original.
//!
//! The native stack given to a run ([`NATIVE_STACK`]) is [`NATIVE_PER_UNIT`] times the limit,
//! far more than compiled code needs per counted byte, so the counted limit is always reached
//! first: stack exhaustion is a trap every replica reports the same way. Should the native
//! stack still run out first (a bound this machine breaks), the sandbox treats it as a host
//! failure and the slot is given back, never reported as a result.
//!
//! Tail calls and exceptions (which could leave a frame without passing its thunk's epilogue)
//! are disabled in the engine, so every path out of a body returns through its thunk, or traps
//! (ending the run).

use finite_wasm::{max_stack::SizeConfig, prefix_sum_vec::PrefixSumVec, wasmparser as fwp};
use wasm_encoder::{BlockType, Encode, Function, Instruction, RawSection};
use wasmparser::{CompositeInnerType, Parser, Payload, TypeRef};

/// Most counted stack bytes (locals and operands of every active frame, plus overheads).
pub const LIMIT: u32 = 8 << 20;
/// Counted for every active frame besides its locals, operands and body (return address,
/// saved registers, the thunk's own frame).
pub const FRAME_OVERHEAD: u64 = 64;
/// Native stack bytes allowed per counted unit. Compiled code keeps at most one native slot
/// (at most 16 bytes) per counted value byte (values count at least 4 bytes each), per
/// instruction of the body (a temporary the optimiser keeps alive across a call is at least
/// one instruction, counted by the body's length) and per unit of the fixed overhead.
pub const NATIVE_PER_UNIT: usize = 16;
/// The native stack a run may use (`max_wasm_stack`).
pub const NATIVE_STACK: usize = LIMIT as usize * NATIVE_PER_UNIT;

/// Run `f` on a thread whose stack holds [`NATIVE_STACK`] of guest frames plus the host's
/// own (wasmtime runs guest code on the calling thread's stack, and a tokio or test thread has
/// 2 MiB). The stack is reserved, not committed: only the pages a run touches cost memory.
pub fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> std::io::Result<R> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("depin-run".into())
            .stack_size(NATIVE_STACK + (16 << 20))
            .spawn_scoped(scope, f)?;
        handle
            .join()
            .map_err(|_| std::io::Error::other("the run thread panicked"))
    })
}

/// Value sizes for the analysis (a local of any type counts 16 bytes: v128 is the largest).
struct Sizes;

impl SizeConfig for Sizes {
    fn size_of_value(&self, ty: fwp::ValType) -> u8 {
        match ty {
            fwp::ValType::I32 | fwp::ValType::F32 => 4,
            fwp::ValType::I64 | fwp::ValType::F64 => 8,
            fwp::ValType::V128 => 16,
            fwp::ValType::Ref(_) => 8,
        }
    }

    fn size_of_function_activation(&self, locals: &PrefixSumVec<fwp::ValType, u32>) -> u64 {
        let count = locals.max_index().map_or(0, |&m| u64::from(m) + 1);
        count * 16
    }
}

/// Section ids, and the order the core specification requires them in.
fn order(id: u8) -> u8 {
    match id {
        1 => 1,   // type
        2 => 2,   // import
        3 => 3,   // function
        4 => 4,   // table
        5 => 5,   // memory
        13 => 6,  // tag
        6 => 7,   // global
        7 => 8,   // export
        8 => 9,   // start
        9 => 10,  // element
        12 => 11, // data count
        10 => 12, // code
        11 => 13, // data
        _ => 0,   // custom: anywhere
    }
}

/// Length of the LEB128 number at the start of `bytes`.
fn leb_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| b & 0x80 == 0)
        .map_or(bytes.len(), |p| p + 1)
}

/// `count` then the raw entries `entries` then `extra` (each already encoded).
fn section(count: u32, entries: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() + extra.len() + 5);
    count.encode(&mut out);
    out.extend_from_slice(entries);
    out.extend_from_slice(extra);
    out
}

/// `wasm` rewritten with the deterministic depth limit; `Err` holds why it cannot be (not a
/// module the analysis can read: reported as an invalid module, the same everywhere).
pub fn instrument(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let analysis = finite_wasm::Analysis::new()
        .with_stack(Sizes)
        .analyze(wasm)
        .map_err(|e| format!("stack analysis: {e}"))?;
    let body_lens: Vec<u64> = Parser::new(0)
        .parse_all(wasm)
        .filter_map(|p| match p {
            Ok(Payload::CodeSectionEntry(body)) => Some(body.range().len() as u64),
            _ => None,
        })
        .collect();
    let costs: Vec<i32> = analysis
        .function_frame_sizes
        .iter()
        .zip(&analysis.function_operand_stack_sizes)
        .zip(body_lens.iter().chain(std::iter::repeat(&0)))
        .map(|((frame, operands), body)| {
            let c = frame
                .saturating_add(*operands)
                .saturating_add(*body)
                .saturating_add(FRAME_OVERHEAD);
            // A single frame over the limit always traps.
            c.min(u64::from(LIMIT) + 1) as i32
        })
        .collect();

    // What the rewrite needs to know: parameter counts of the types, the imported functions
    // and globals, the defined functions' types, and where each section is.
    let mut params: Vec<u32> = Vec::new();
    let (mut imported_funcs, mut imported_globals, mut defined_globals) = (0u32, 0u32, 0u32);
    let mut func_types: Vec<u32> = Vec::new();
    let mut sections: Vec<(u8, std::ops::Range<usize>)> = Vec::new();
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(err)? {
            Payload::TypeSection(r) => {
                for group in r {
                    for sub in group.map_err(err)?.into_types() {
                        params.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => f.params().len() as u32,
                            _ => 0,
                        });
                    }
                }
            }
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    match import.map_err(err)?.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => imported_funcs += 1,
                        TypeRef::Global(_) => imported_globals += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t.map_err(err)?);
                }
            }
            Payload::GlobalSection(r) => defined_globals = r.count(),
            _ => {}
        }
    }
    let m = func_types.len() as u32;
    if costs.len() != func_types.len() {
        return Err("stack analysis: function count mismatch".into());
    }
    let depth = imported_globals + defined_globals;

    // Every section with its id and content range, in order.
    let mut reader = wasmparser::BinaryReader::new(wasm, 0);
    reader.read_bytes(8).map_err(err).and_then(|h| {
        (h[..4] == *b"\0asm")
            .then_some(())
            .ok_or("not a module".into())
    })?;
    while !reader.eof() {
        let id = reader.read_u8().map_err(err)?;
        let len = reader.read_var_u32().map_err(err)? as usize;
        let start = reader.original_position();
        reader.read_bytes(len).map_err(err)?;
        sections.push((id, start..start + len));
    }

    let mut out = wasm_encoder::Module::new();
    let mut globals_written = false;
    // The depth counter: `(global (mut i32) (i32.const 0))`.
    let mut depth_global = Vec::new();
    wasm_encoder::GlobalType {
        val_type: wasm_encoder::ValType::I32,
        mutable: true,
        shared: false,
    }
    .encode(&mut depth_global);
    wasm_encoder::ConstExpr::i32_const(0).encode(&mut depth_global);
    for (id, range) in &sections {
        let data = &wasm[range.clone()];
        if !globals_written && order(*id) > order(6) {
            out.section(&RawSection {
                id: 6,
                data: &section(1, &[], &depth_global),
            });
            globals_written = true;
        }
        match id {
            // Functions: the thunks keep the original indices and types; the bodies follow.
            3 => {
                let entries = &data[leb_len(data)..];
                let mut doubled = entries.to_vec();
                doubled.extend_from_slice(entries);
                out.section(&RawSection {
                    id: 3,
                    data: &section(2 * m, &doubled, &[]),
                });
            }
            6 => {
                let entries = &data[leb_len(data)..];
                out.section(&RawSection {
                    id: 6,
                    data: &section(defined_globals + 1, entries, &depth_global),
                });
                globals_written = true;
            }
            10 => {
                let bodies = &data[leb_len(data)..];
                let mut thunks = Vec::new();
                for (k, ty) in func_types.iter().enumerate() {
                    let body = thunk(
                        depth,
                        costs[k],
                        params.get(*ty as usize).copied().unwrap_or(0),
                        imported_funcs + m + k as u32,
                    );
                    body.encode(&mut thunks);
                }
                thunks.extend_from_slice(bodies);
                out.section(&RawSection {
                    id: 10,
                    data: &section(2 * m, &thunks, &[]),
                });
            }
            _ => {
                out.section(&RawSection { id: *id, data });
            }
        }
    }
    if !globals_written {
        out.section(&RawSection {
            id: 6,
            data: &section(1, &[], &depth_global),
        });
    }
    Ok(out.finish())
}

/// The thunk of a function with `params` parameters, costing `cost`, whose body is at `inner`.
fn thunk(depth: u32, cost: i32, params: u32, inner: u32) -> Function {
    let mut f = Function::new([]);
    for i in [
        Instruction::GlobalGet(depth),
        Instruction::I32Const(cost),
        Instruction::I32Add,
        Instruction::GlobalSet(depth),
        Instruction::GlobalGet(depth),
        Instruction::I32Const(LIMIT as i32),
        Instruction::I32GtU,
        Instruction::If(BlockType::Empty),
        Instruction::Unreachable,
        Instruction::End,
    ] {
        f.instruction(&i);
    }
    for p in 0..params {
        f.instruction(&Instruction::LocalGet(p));
    }
    for i in [
        Instruction::Call(inner),
        Instruction::GlobalGet(depth),
        Instruction::I32Const(cost),
        Instruction::I32Sub,
        Instruction::GlobalSet(depth),
        Instruction::End,
    ] {
        f.instruction(&i);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `_start` of the instrumented module as the sandbox does: the native limit at
    /// [`NATIVE_STACK`], on a thread that has it.
    fn run(wat: &str) -> Result<(), wasmtime::Error> {
        let wasm = instrument(&wat::parse_str(wat).unwrap()).unwrap();
        on_big_stack(move || {
            let mut config = wasmtime::Config::new();
            config
                .max_wasm_stack(NATIVE_STACK)
                .async_stack_size(NATIVE_STACK + (1 << 20));
            let engine = wasmtime::Engine::new(&config)?;
            let module = wasmtime::Module::new(&engine, &wasm)?;
            let mut store = wasmtime::Store::new(&engine, ());
            let instance = wasmtime::Instance::new(&mut store, &module, &[])?;
            instance
                .get_typed_func::<(), ()>(&mut store, "_start")?
                .call(&mut store, ())
        })
        .unwrap()
    }

    /// Recurses `n` times through a function with a few locals.
    fn recursion(n: u32) -> String {
        format!(
            r#"(module
              (global $g (mut i32) (i32.const 7))
              (func $r (param i32) (result i32) (local i64 i64)
                (if (result i32) (i32.eqz (local.get 0))
                  (then (global.get $g))
                  (else (i32.add (i32.const 1) (call $r (i32.sub (local.get 0) (i32.const 1)))))))
              (func (export "_start") (drop (call $r (i32.const {n})))))"#
        )
    }

    #[test]
    fn a_shallow_recursion_runs_and_keeps_its_results() {
        run(&recursion(1000)).unwrap();
    }

    #[test]
    fn a_deep_recursion_stops_at_the_counted_limit_not_the_native_one() {
        // Each frame counts at least 64 + 3 locals x 16 bytes + its body: the counted limit of
        // 8 MiB is reached in under 75 000 calls, long before the native one.
        let err = run(&recursion(1_000_000)).unwrap_err();
        let trap = err.downcast_ref::<wasmtime::Trap>().copied();
        assert_eq!(
            trap,
            Some(wasmtime::Trap::UnreachableCodeReached),
            "{err:?}"
        );
    }

    /// How deep the recursion got (an exported counter) before the trap, with `native`
    /// bytes of native stack.
    fn depth_reached(native: usize) -> (i32, Option<wasmtime::Trap>) {
        let wat = r#"(module
          (global $n (export "n") (mut i32) (i32.const 0))
          (func $r (param i64 i64) (result i64) (local f64 f64 i32)
            (global.set $n (i32.add (global.get $n) (i32.const 1)))
            (i64.add (local.get 0) (call $r (i64.add (local.get 0) (i64.const 1)) (local.get 1))))
          (func (export "_start") (drop (call $r (i64.const 0) (i64.const 1)))))"#;
        let wasm = instrument(&wat::parse_str(wat).unwrap()).unwrap();
        on_big_stack(move || {
            let mut config = wasmtime::Config::new();
            config
                .max_wasm_stack(native)
                .async_stack_size(native + (1 << 20));
            let engine = wasmtime::Engine::new(&config).unwrap();
            let module = wasmtime::Module::new(&engine, &wasm).unwrap();
            let mut store = wasmtime::Store::new(&engine, ());
            let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
            let err = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .unwrap()
                .call(&mut store, ())
                .unwrap_err();
            let n = instance
                .get_global(&mut store, "n")
                .unwrap()
                .get(&mut store)
                .i32()
                .unwrap();
            (n, err.downcast_ref::<wasmtime::Trap>().copied())
        })
        .unwrap()
    }

    #[test]
    fn the_depth_reached_does_not_depend_on_the_native_stack() {
        // The same module under two native stack sizes (as two machines whose compiled frames
        // differ in size would be): it stops at the same depth, on the counted limit.
        let big = depth_reached(NATIVE_STACK);
        let half = depth_reached(NATIVE_STACK / 2);
        assert_eq!(big.1, Some(wasmtime::Trap::UnreachableCodeReached));
        assert_eq!(big, half);
        assert!(big.0 > 10_000, "a useful depth: {}", big.0);
    }

    #[test]
    fn exports_tables_and_globals_keep_working() {
        // An indirect call through a table, an existing global, a start function and an
        // exported function called by the host all go through the thunks.
        let wat = r#"(module
          (type $t (func (result i32)))
          (import "m" "f" (func $imp))
          (global $x (mut i32) (i32.const 1))
          (table 1 funcref)
          (elem (i32.const 0) $seven)
          (func $seven (result i32) (i32.const 7))
          (func $init (global.set $x (i32.const 2)))
          (start $init)
          (func (export "_start")
            (if (i32.ne (call_indirect (type $t) (i32.const 0)) (i32.const 7)) (then unreachable))
            (if (i32.ne (global.get $x) (i32.const 2)) (then unreachable))))"#;
        let wasm = instrument(&wat::parse_str(wat).unwrap()).unwrap();
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, &wasm).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let imp = wasmtime::Func::wrap(&mut store, || {});
        let instance = wasmtime::Instance::new(&mut store, &module, &[imp.into()]).unwrap();
        instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
    }
}
