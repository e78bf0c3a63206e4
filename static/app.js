// blockboard's own browser code. No inline script anywhere: the CSP allows only same-origin files.
"use strict";
