"""The installed llama.cpp (llama-cpp-python, the llm-local extra) is built for a portable x86-64 target.

A native build (``-march=native``, llama.cpp's default) crashed with SIGSEGV on CPUs with AMX, and pip's wheel cache
would hand a native wheel built on one machine to another. ``make`` builds with the flags in the Makefile; this test
fails if what is installed was built otherwise, on this machine or any other, so the regression cannot land quietly:
it reads the CMake options the build recorded, disassembles the CPU backend for AVX-512/AMX instructions, and asks
the library which instruction sets it was compiled for.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

# Options that must be OFF in a portable build (GGML_NATIVE adds -march=native).
NATIVE_ONLY_OPTIONS = (
    "GGML_NATIVE",
    "GGML_AVX512",
    "GGML_AVX512_VBMI",
    "GGML_AVX512_VNNI",
    "GGML_AVX512_BF16",
    "GGML_AMX_TILE",
    "GGML_AMX_INT8",
    "GGML_AMX_BF16",
)
# The baseline the Makefile asks for (any x86-64 CPU since ~2013 has it).
BASELINE_OPTIONS = ("GGML_AVX", "GGML_AVX2", "GGML_FMA", "GGML_F16C")
# Registers only AVX-512 (zmm, the opmask registers k1-k7, x/ymm16-31) or AMX (tmm) code uses, in objdump's syntax.
NATIVE_ONLY_REGISTERS = re.compile(r"%(?:zmm\d+|k[1-7]\b|[xy]mm(?:1[6-9]|2\d|3[01])\b|tmm\d)")

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"),
    pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="the portable target is x86-64"),
    pytest.mark.skipif(
        os.environ.get("NEWSQA_LLAMA_TARGET") == "custom",
        reason="built with LLAMA_CMAKE_ARGS given by the user (make ... LLAMA_CMAKE_ARGS=...): the target was chosen",
    ),
]


def installed_file(suffix: str) -> Path:
    dist = metadata.distribution("llama_cpp_python")
    for f in dist.files or []:
        if str(f).endswith(suffix):
            return Path(str(dist.locate_file(f)))
    raise AssertionError(f"llama-cpp-python installed no {suffix}: cannot tell how it was built")


def recorded_options() -> dict[str, str]:
    """The GGML_* CMake options of the build, as ggml's installed package config records them."""
    text = installed_file("cmake/ggml/ggml-config.cmake").read_text()
    return dict(re.findall(r'^set\((GGML_\w+) "([^"]*)"\)', text, re.M))


def test_recorded_cmake_options_are_portable() -> None:
    options = recorded_options()
    on = [name for name in NATIVE_ONLY_OPTIONS if options.get(name, "OFF").upper() not in ("OFF", "0", "FALSE")]
    assert not on, f"llama.cpp was built with native-only options {on}; rebuild with the Makefile's flags"
    missing = [name for name in BASELINE_OPTIONS if options.get(name, "").upper() != "ON"]
    assert not missing, f"llama.cpp was built without {missing}: slower than the portable baseline"


def test_cpu_backend_has_no_avx512_or_amx_instructions() -> None:
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump (binutils) is not installed")
    library = installed_file("lib/libggml-cpu.so")
    code = subprocess.run(
        [objdump, "-d", "--no-show-raw-insn", str(library)], capture_output=True, text=True, check=True
    )
    found = sorted({m.group(0) for m in NATIVE_ONLY_REGISTERS.finditer(code.stdout)})
    assert not found, f"{library.name} uses AVX-512/AMX registers {found[:10]}: it would crash on CPUs without them"


def test_library_reports_no_native_only_features() -> None:
    """What llama.cpp itself says it was compiled for (in a child process: the library is not loaded into pytest)."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    info = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "AVX2 = 1" in info, info
    assert not re.search(r"\b(AVX512\w*|AMX\w*) = 1", info), info
