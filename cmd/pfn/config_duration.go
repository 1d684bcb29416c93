package main

import (
	"flag"
	"fmt"
	"time"
)

// durationVar is a positive duration set by a flag or its PFN_ variable.
type durationVar struct {
	name, env, def, help string
	dst                  *time.Duration
}

// registerDurations adds a flag for each (defaults from the environment);
// the returned function parses them once the flags are parsed.
func registerDurations(fs *flag.FlagSet, env func(name, def string) string, vars []durationVar) func() []error {
	texts := make([]string, len(vars))
	for i, d := range vars {
		fs.StringVar(&texts[i], d.name, env(d.env, d.def), d.help+" ("+d.env+")")
	}
	return func() []error {
		var errs []error
		for i, d := range vars {
			v, err := time.ParseDuration(texts[i])
			if err != nil || v <= 0 {
				errs = append(errs, fmt.Errorf("%s %q: want a positive duration such as %s", d.env, texts[i], d.def))
			}
			*d.dst = v
		}
		return errs
	}
}
