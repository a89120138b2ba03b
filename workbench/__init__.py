"""AI FinOps workbench: FOCUS billing exports in, answers for the people who pay for AI out."""

from workbench.errors import ConfigError, InputError, WorkbenchError

__version__ = "0.1.0"

__all__ = ["ConfigError", "InputError", "WorkbenchError", "__version__"]
