package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// logSummary counts the node's log lines by level and keeps the first and
// last few ERROR lines, each cut to one screen line: under a soak the WARN
// lines about publishers that are down on purpose drown everything else.
type logSummary struct {
	Levels      map[string]int
	FirstErrors []string
	LastErrors  []string
}

const keptErrors = 3

func summarizeLog(r io.Reader) (logSummary, error) {
	s := logSummary{Levels: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		_, rest, ok := strings.Cut(line, " level=")
		if !ok {
			s.Levels["other"]++
			continue
		}
		level, _, _ := strings.Cut(rest, " ")
		s.Levels[level]++
		if level != "ERROR" {
			continue
		}
		line = cut(line, 300)
		if len(s.FirstErrors) < keptErrors {
			s.FirstErrors = append(s.FirstErrors, line)
			continue
		}
		s.LastErrors = append(s.LastErrors, line)
		if len(s.LastErrors) > keptErrors {
			s.LastErrors = s.LastErrors[1:]
		}
	}
	return s, sc.Err()
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// printNodeLog reports the node's log file at path.
func printNodeLog(w io.Writer, path string) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(w, "node log:", err)
		return
	}
	defer f.Close()
	s, err := summarizeLog(f)
	if err != nil {
		fmt.Fprintln(w, "node log:", err)
	}
	var counts []string
	for _, level := range []string{"ERROR", "WARN", "INFO", "DEBUG", "other"} {
		if n := s.Levels[level]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, level))
		}
	}
	fmt.Fprintf(w, "node log: %s lines\n", strings.Join(counts, ", "))
	if len(s.FirstErrors) > 0 {
		fmt.Fprintln(w, "  first errors:")
		for _, l := range s.FirstErrors {
			fmt.Fprintln(w, "   ", l)
		}
	}
	if len(s.LastErrors) > 0 {
		fmt.Fprintln(w, "  last errors:")
		for _, l := range s.LastErrors {
			fmt.Fprintln(w, "   ", l)
		}
	}
}
