package main

import (
	"flag"
	"fmt"
	"time"
)

// Every boolean and every duration of Config is read here, one way each:
// a flag whose default is its PFN_ variable, checked once the flags are
// parsed, with the same message for the same mistake.

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

// boolVar is a boolean set by a flag or its PFN_ variable: exactly "true"
// or "false", so that a typo ("yes", "on", "1") is refused rather than read
// as one or the other.
type boolVar struct {
	name, env, def, help string
	dst                  *bool
}

// registerBools adds a flag for each (defaults from the environment); the
// flag alone (-scheduler) means true, as Go's boolean flags do. The returned
// function parses them once the flags are parsed.
func registerBools(fs *flag.FlagSet, env func(name, def string) string, vars []boolVar) func() []error {
	texts := make([]string, len(vars))
	for i, b := range vars {
		texts[i] = env(b.env, b.def)
		fs.Var(boolText{&texts[i]}, b.name, b.help+" ("+b.env+")")
	}
	return func() []error {
		var errs []error
		for i, b := range vars {
			switch texts[i] {
			case "true", "false":
				*b.dst = texts[i] == "true"
			default:
				errs = append(errs, fmt.Errorf("%s %q: want true or false", b.env, texts[i]))
			}
		}
		return errs
	}
}

// boolText keeps a boolean flag's text for registerBools to check, so that
// a bad value set by a flag gets the same message as one set by the
// environment.
type boolText struct{ s *string }

func (b boolText) String() string {
	if b.s == nil { // the zero value flag.PrintDefaults compares defaults with
		return "false"
	}
	return *b.s
}

func (b boolText) Set(v string) error { *b.s = v; return nil }

func (boolText) IsBoolFlag() bool { return true }
