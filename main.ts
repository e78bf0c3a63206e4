console.log("hi");
import "hono";
import "zod";
import "fast-xml-parser";
import "playwright-core";
