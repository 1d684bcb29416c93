package main

import (
	"flag"
	"fmt"
)

// registerTransparencyLog adds -transparency-log (PFN_TRANSPARENCY_LOG):
// exactly "on" or "off", default on. The returned function checks it once
// the flags are parsed.
func registerTransparencyLog(fs *flag.FlagSet, env func(name, def string) string, dst *bool) func() []error {
	var text string
	fs.StringVar(&text, "transparency-log", env("PFN_TRANSPARENCY_LOG", "on"),
		"on or off: keep the transparency log of the node's signed statements (PFN_TRANSPARENCY_LOG)")
	return func() []error {
		switch text {
		case "on", "off":
			*dst = text == "on"
			return nil
		}
		return []error{fmt.Errorf("PFN_TRANSPARENCY_LOG %q: want on or off", text)}
	}
}
