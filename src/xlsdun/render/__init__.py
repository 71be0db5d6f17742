"""Turn one planned Action into the email a careful business owner would send.

Templates are Jinja2 files (`templates/<lang>/<name>.{subject,txt,html}.j2`, the package
`xlsdun.templates`); a user's template folder overrides them file by file. Everything from
the workbook is data: it reaches the templates as values, never as template source, is
escaped in HTML, and is stripped of line breaks before it goes into a header. Rendering is
pure (`Renderer.render_parts`); `Renderer.render` only adds the envelope (headers,
threading, attachments).

The modules, in the order a message passes through them:
  catalog      which templates and languages exist; a Language cell -> "he" / "en"
  cleaning     sheet text made safe: one line, direction controls closed, header-safe
  views        the frozen values templates see (invoices, totals, fees, links)
  context      the message context, built by a list of small steps from one Action
  formatting   the template filters: money, dates, percentages (Babel), bidi isolation
  environment  the sandboxed Jinja environments, template loading, file:line errors
  envelope     addresses, headers, threading, attachments -> the assembled message
  renderer     the Renderer that ties these together, and its `check()`
  samples      a realistic sample debtor at any tier (check, previews, tests)
  errors       RenderError and the sheet problems that fail one debtor only
"""

from __future__ import annotations

from ..builtin_templates import BUILTIN_TEMPLATES
from .catalog import LANGUAGES, normalize_language, template_names
from .cleaning import FSI, LRI, PDF, PDI, close_bidi, header_safe
from .envelope import MAX_DISPLAY_NAME, MAX_SUBJECT, RenderedParts
from .errors import BadAddress, MissingAttachment, RenderError, SheetProblem
from .renderer import Renderer, builtin_renderer
from .samples import sample_action

__all__ = [
    "BUILTIN_TEMPLATES",
    "FSI",
    "LANGUAGES",
    "LRI",
    "MAX_DISPLAY_NAME",
    "MAX_SUBJECT",
    "PDF",
    "PDI",
    "BadAddress",
    "MissingAttachment",
    "RenderError",
    "RenderedParts",
    "Renderer",
    "SheetProblem",
    "builtin_renderer",
    "close_bidi",
    "header_safe",
    "normalize_language",
    "sample_action",
    "template_names",
]
