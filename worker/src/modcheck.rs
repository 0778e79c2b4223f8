//! The shape budget of an untrusted module, checked before the compiler sees it.
//!
//! Compiling costs time and memory that grow with the number of functions, imports and the size
//! of each function body, and a requester pays nothing for a module built to make compilation
//! slow (a million empty functions, a million imports, one enormous function). These limits
//! are far above what real programs need (a large Rust or C program compiled to WASI has tens
//! of thousands of functions, a few dozen imports), are read from the binary in one pass with
//! the parser wasmtime itself uses (`wasmparser`), and are the same on every machine: a module
//! over them is an invalid module for every replica, so they agree on that result.
//!
//! The time a compilation may take is bounded separately and before a claim
//! ([`crate::sandbox::Sandbox::prepare`]); how long it takes depends on the machine, so a
//! module that is too slow to compile is refused, never reported as a result.

use wasmparser::{Encoding, Parser, Payload};

/// Most functions a module may define.
pub const MAX_FUNCTIONS: u32 = 100_000;
/// Most imports (WASI preview 1 has 45 functions).
pub const MAX_IMPORTS: u32 = 1_000;
/// Most exports.
pub const MAX_EXPORTS: u32 = 10_000;
/// Most globals.
pub const MAX_GLOBALS: u32 = 10_000;
/// Most data or element segments (each).
pub const MAX_SEGMENTS: u32 = 10_000;
/// Largest function body, bytes.
pub const MAX_FUNCTION_BYTES: usize = 1 << 20;

/// Why a module is over the budget (or not a module at all).
pub fn check(wasm: &[u8]) -> Result<(), String> {
    let over = |what: &str, n: u32, max: u32| {
        if n > max {
            Err(format!("{n} {what} (at most {max})"))
        } else {
            Ok(())
        }
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => return Err("a component, not a core module (WASI preview 1 only)".into()),
            Payload::ImportSection(s) => {
                let mut n = 0u32;
                for import in s.into_imports() {
                    import.map_err(|e| e.to_string())?;
                    n += 1;
                    over("imports", n, MAX_IMPORTS)?;
                }
            }
            Payload::FunctionSection(s) => over("functions", s.count(), MAX_FUNCTIONS)?,
            Payload::ExportSection(s) => over("exports", s.count(), MAX_EXPORTS)?,
            Payload::GlobalSection(s) => over("globals", s.count(), MAX_GLOBALS)?,
            Payload::DataSection(s) => over("data segments", s.count(), MAX_SEGMENTS)?,
            Payload::ElementSection(s) => over("element segments", s.count(), MAX_SEGMENTS)?,
            Payload::CodeSectionEntry(body) => {
                let len = body.range().len();
                if len > MAX_FUNCTION_BYTES {
                    return Err(format!(
                        "a function body of {len} bytes (at most {MAX_FUNCTION_BYTES})"
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Most memories and tables a module may have (defined or imported), as the store allows.
pub const MAX_MEMORIES: usize = 1;
/// See [`MAX_MEMORIES`].
pub const MAX_TABLES: usize = 4;

/// Whether the module can start within `memory_bytes` of linear memory and `table_elements`
/// per table, with at most [`MAX_MEMORIES`] memories and [`MAX_TABLES`] tables: read from its
/// bytes, so the answer is the same on every machine (an instantiation that fails otherwise is
/// the host's failure).
pub fn fits(wasm: &[u8], memory_bytes: u64, table_elements: u64) -> Result<(), String> {
    const PAGE: u64 = 64 << 10;
    let mut memories = Vec::new();
    let mut tables = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::MemorySection(s) => {
                for m in s {
                    memories.push(m.map_err(|e| e.to_string())?.initial);
                }
            }
            Payload::TableSection(s) => {
                for t in s {
                    tables.push(t.map_err(|e| e.to_string())?.ty.initial);
                }
            }
            Payload::ImportSection(s) => {
                for import in s.into_imports() {
                    match import.map_err(|e| e.to_string())?.ty {
                        wasmparser::TypeRef::Memory(m) => memories.push(m.initial),
                        wasmparser::TypeRef::Table(t) => tables.push(t.initial),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if memories.len() > MAX_MEMORIES || tables.len() > MAX_TABLES {
        return Err(format!(
            "{} memories and {} tables (at most {MAX_MEMORIES} and {MAX_TABLES})",
            memories.len(),
            tables.len()
        ));
    }
    for pages in memories {
        let bytes = pages.saturating_mul(PAGE);
        if bytes > memory_bytes {
            return Err(format!(
                "its memory starts at {bytes} bytes, over the manifest's {memory_bytes}"
            ));
        }
    }
    if let Some(n) = tables.into_iter().find(|n| *n > table_elements) {
        return Err(format!(
            "a table starts with {n} elements (at most {table_elements})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with `n` empty functions.
    fn functions(n: usize) -> Vec<u8> {
        let body = "(func)".repeat(n);
        wat::parse_str(format!("(module {body})")).unwrap()
    }

    #[test]
    fn real_shapes_pass() {
        check(&functions(10)).unwrap();
        check(
            &wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
                .unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn too_many_functions_imports_or_a_huge_body_are_refused() {
        let err = check(&functions(MAX_FUNCTIONS as usize + 1)).unwrap_err();
        assert!(err.contains("100001 functions"), "{err}");
        let imports: String = (0..=MAX_IMPORTS)
            .map(|i| format!("(import \"m\" \"f{i}\" (func))"))
            .collect();
        let err = check(&wat::parse_str(format!("(module {imports})")).unwrap()).unwrap_err();
        assert!(err.contains("imports"), "{err}");
        // One function of ~1.2 MiB of `nop`s.
        let nops = "nop ".repeat(MAX_FUNCTION_BYTES + 200_000);
        let err = check(&wat::parse_str(format!("(module (func {nops}))")).unwrap()).unwrap_err();
        assert!(err.contains("function body"), "{err}");
    }

    #[test]
    fn the_initial_memory_and_tables_must_fit() {
        let m = wat::parse_str("(module (memory 4) (table 10 funcref))").unwrap();
        fits(&m, 4 << 16, 10).unwrap();
        assert!(fits(&m, (4 << 16) - 1, 10).unwrap_err().contains("memory"));
        assert!(fits(&m, 4 << 16, 9).unwrap_err().contains("table"));
        let imported = wat::parse_str(r#"(module (import "e" "m" (memory 3)))"#).unwrap();
        assert!(fits(&imported, 2 << 16, 10).is_err());
        let five = wat::parse_str("(module (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref))").unwrap();
        assert!(fits(&five, 1 << 16, 10).unwrap_err().contains("5 tables"));
    }

    #[test]
    fn garbage_and_components_are_refused() {
        assert!(check(b"not wasm").is_err());
        let err = check(&wat::parse_str("(component)").unwrap()).unwrap_err();
        assert!(err.contains("component"), "{err}");
    }
}
