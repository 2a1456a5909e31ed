"""jupyter_kernel_test's conformance suite against the fancyflow kernel.

Run with Debian's Python (the one with Jupyter), with JUPYTER_PATH pointing at a folder where
`fancyflow install --prefix` wrote the kernelspec:

    JUPYTER_PATH=<prefix>/share/jupyter /usr/bin/python3 -m unittest -v test/kernel/kernel-test.py

test/kernel/conformance.test.ts does exactly that and fails on any failure.
"""
import unittest

import jupyter_kernel_test


class FancyflowKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "fancyflow"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'

    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "const conformanceValue = 1; conformanceVal", "matches": {"conformanceValue"}},
    ]

    complete_code_samples = ["1 + 1", "const a = 1;", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const list = [1, 2,", "if (true) {"]
    invalid_code_samples = ["const = 5;", "1 +* 2"]

    code_generate_error = 'throw new Error("conformance")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'a' + 'b'", "result": "'ab'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {
            "code": '({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "bar" })',
            "mime": "application/vnd.vegalite.v5+json",
        },
        {"code": "[6, 7]", "mime": "application/vnd.fancyflow.cell+json"},
    ]

    code_display_data = [
        {"code": 'import { display } from "fancyflow"; display([{ a: 1 }, { a: 2 }])', "mime": "text/html"},
        {
            "code": 'import * as tslab from "tslab"; tslab.display.html("<b>bold</b>")',
            "mime": "text/html",
        },
    ]

    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_clear_output = 'import { clearOutput } from "fancyflow"; clearOutput()'


if __name__ == "__main__":
    unittest.main()
