package publisher

import (
	"errors"
	"fmt"
	"strings"
)

// problemList collects everything wrong with one JSON object, so that a
// publisher fixing its output sees all of it at once, on one line.
type problemList struct {
	msgs []string
}

func (p *problemList) add(err error) {
	if err != nil {
		p.msgs = append(p.msgs, err.Error())
	}
}

func (p *problemList) addf(format string, args ...any) {
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
}

// str returns an optional string member of o, recording a wrong type.
func (p *problemList) str(o jsonObject, key string) string {
	s, err := o.str(key)
	p.add(err)
	return s
}

// required returns a string member of o that must be present and non-empty.
// in names the enclosing object for the message, "" at the top level.
func (p *problemList) required(o jsonObject, key, in string) string {
	s, err := o.str(key)
	switch {
	case err != nil && in != "":
		p.addf("in %q: %v", in, err)
	case err != nil:
		p.add(err)
	case s == "" && in != "":
		p.addf("%q has no %q", in, key)
	case s == "":
		p.addf("missing %q", key)
	}
	return s
}

func (p *problemList) String() string { return strings.Join(p.msgs, "; ") }

// err returns the problems as one error, nil when there are none.
func (p *problemList) err() error {
	if len(p.msgs) == 0 {
		return nil
	}
	return errors.New(p.String())
}
