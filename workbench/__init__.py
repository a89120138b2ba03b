"""AI FinOps workbench: FOCUS billing exports in, answers for the people who pay for AI out."""

import sys

from workbench.errors import ConfigError, InputError, WorkbenchError

# jsonschema, which altair and nbformat import, compiles the 38 grammars of the optional
# rfc3987-syntax (installed with Jupyter's event schemas) as it is imported: about 2 s of
# CPU in every process that draws a chart or writes a notebook (the report, each kernel of
# the report and the apps), only to check the "iri" string format, which nothing here
# validates. Without it, jsonschema leaves that one format unchecked.
sys.modules.setdefault("rfc3987_syntax", None)

__version__ = "0.1.0"

__all__ = ["ConfigError", "InputError", "WorkbenchError", "__version__"]
