#!/usr/bin/env python3
"""Adapt sbpf-linker 0.2.6 + bpf-linker 0.13.0 (crates.io) to Solana programs on Debian's LLVM 22.

Usage: patch_linker.py <sbpf-linker-src-dir> <bpf-linker-src-dir>     (idempotent)

sbpf-linker:
  * link against LLVM 22 (loaded at run time through aya-rustc-llvm-proxy) instead of 23;
  * use the patched bpf-linker next to it; drop its nightly rust-toolchain.toml pin.
bpf-linker (src/llvm/mod.rs):
  * run `lower-atomic` after the optimisation pipeline: SBPF v0 has no atomic instructions
    and programs are single-threaded, but rustc leaves atomics in the bitcode;
  * always force-inline every defined function with more than 5 parameters (dropping its
    `noinline`, and `noinline` on calls to it): upstream LLVM's BPF backend passes at most 5
    arguments in registers and silently loses the rest ("too many arguments"). Every other
    `noinline` is kept, so builds need not pass --ignore-inline-never: with it, fat LTO inlines
    a whole program into `entrypoint`, whose branches then exceed SBF's 16-bit offsets.
"""
import pathlib
import sys

MARK = "depin-compute sbf patch"


def patch_sbpf_linker(d: pathlib.Path) -> None:
    cargo = d / "Cargo.toml"
    text = cargo.read_text()
    if MARK not in text:
        old = '"bpf-linker/llvm-23",'
        assert text.count(old) == 1, "sbpf-linker Cargo.toml layout changed"
        text = text.replace(old, '"bpf-linker/llvm-22",')
        text += f'\n# {MARK}\n[patch.crates-io]\nbpf-linker = {{ path = "../bpf-linker" }}\n'
        cargo.write_text(text)
    (d / "rust-toolchain.toml").unlink(missing_ok=True)


HELPER = '''
// {mark}: see scripts/sbf/patch_linker.py in depin-compute.
fn depin_sbf_inline_fixups(module: LLVMModuleRef) {{
    use llvm_sys::core::{{
        LLVMAddAttributeAtIndex, LLVMCountParams, LLVMCreateEnumAttribute, LLVMGetCalledValue,
        LLVMGetFirstBasicBlock, LLVMGetFirstInstruction, LLVMGetModuleContext,
        LLVMGetNextBasicBlock, LLVMGetNextInstruction, LLVMIsACallInst, LLVMIsAFunction,
        LLVMRemoveCallSiteEnumAttribute,
    }};
    let kind = |name: &str| unsafe {{ LLVMGetEnumAttributeKindForName(name.as_ptr().cast(), name.len()) }};
    let (noinline, alwaysinline) = (kind("noinline"), kind("alwaysinline"));
    let ctx = unsafe {{ LLVMGetModuleContext(module) }};
    let too_many_args = |f: LLVMValueRef| unsafe {{ LLVMCountParams(f) }} > 5;
    for function in module.functions_iter() {{
        if unsafe {{ LLVMIsDeclaration(function) }} == 0 && too_many_args(function) {{
            remove_attribute(function, "noinline");
            unsafe {{
                let attr = LLVMCreateEnumAttribute(ctx, alwaysinline, 0);
                LLVMAddAttributeAtIndex(function, LLVMAttributeFunctionIndex, attr);
            }}
        }}
    }}
    for function in module.functions_iter() {{
        let mut block = unsafe {{ LLVMGetFirstBasicBlock(function) }};
        while !block.is_null() {{
            let mut inst = unsafe {{ LLVMGetFirstInstruction(block) }};
            while !inst.is_null() {{
                if !unsafe {{ LLVMIsACallInst(inst) }}.is_null() {{
                    let callee = unsafe {{ LLVMGetCalledValue(inst) }};
                    if !callee.is_null() && !unsafe {{ LLVMIsAFunction(callee) }}.is_null() && too_many_args(callee) {{
                        unsafe {{ LLVMRemoveCallSiteEnumAttribute(inst, LLVMAttributeFunctionIndex, noinline) }};
                    }}
                }}
                inst = unsafe {{ LLVMGetNextInstruction(inst) }};
            }}
            block = unsafe {{ LLVMGetNextBasicBlock(block) }};
        }}
    }}
}}
'''.format(mark=MARK)


def patch_bpf_linker(d: pathlib.Path) -> None:
    mod = d / "src/llvm/mod.rs"
    text = mod.read_text()
    if MARK in text:
        return
    old_dce = '        "dce",\n    ];'
    assert text.count(old_dce) == 1, "bpf-linker pass list changed"
    text = text.replace(old_dce, '        "dce",\n        // ' + MARK + ': no atomics in SBPF v0\n'
                        '        "function(lower-atomic)",\n    ];')
    old_passes = "    let passes = [\n"
    assert text.count(old_passes) == 1, "bpf-linker optimize() changed"
    text = text.replace(old_passes, "    depin_sbf_inline_fixups(module.as_mut_ptr());\n\n" + old_passes)
    text += HELPER
    mod.write_text(text)


if __name__ == "__main__":
    patch_sbpf_linker(pathlib.Path(sys.argv[1]))
    patch_bpf_linker(pathlib.Path(sys.argv[2]))
    print("patched sbpf-linker and bpf-linker")
