package main

import "testing"

// PFN_LOG_ORIGIN names the transparency log; unset, the node names it after
// its oldest key (logOrigin), so the config keeps "".
func TestLogOriginConfig(t *testing.T) {
	runConfigCases(t, []configCase[string]{
		{name: "unset: named after the oldest key", want: ""},
		{name: "environment", env: map[string]string{"PFN_LOG_ORIGIN": "node.example/log"}, want: "node.example/log"},
		{name: "flag over environment", env: map[string]string{"PFN_LOG_ORIGIN": "a.example/log"}, args: []string{"-log-origin", "b.example/log"}, want: "b.example/log"},
		{name: "a space", env: map[string]string{"PFN_LOG_ORIGIN": "node example"}, wantErr: `PFN_LOG_ORIGIN: log origin "node example": want a name of 1 to 256 bytes without spaces or '+'`},
		{name: "a plus", env: map[string]string{"PFN_LOG_ORIGIN": "node+log"}, wantErr: `PFN_LOG_ORIGIN: log origin "node+log"`},
		{name: "a newline", args: []string{"-log-origin", "node\nlog"}, wantErr: "PFN_LOG_ORIGIN: log origin"},
	}, func(c Config) string { return c.LogOrigin })
}
