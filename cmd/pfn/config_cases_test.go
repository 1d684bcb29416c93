package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// configCase is one row of a configuration table test: the environment and
// arguments given, and either the part of Config wanted or an error naming
// what was wrong.
type configCase[T comparable] struct {
	name    string
	env     map[string]string
	args    []string
	want    T
	wantErr string
}

// runConfigCases loads each case's configuration and compares part of it
// with the case's want; check, when given, runs on every accepted Config.
func runConfigCases[T comparable](t *testing.T, cases []configCase[T], part func(Config) T, check ...func(*testing.T, Config)) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			got, _, err := loadConfig(func(k string) string { return tt.env[k] }, fs, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || part(got) != tt.want {
				t.Fatalf("loadConfig = %+v, %v; want %+v", part(got), err, tt.want)
			}
			for _, c := range check {
				c(t, got)
			}
		})
	}
}
