package publisher

import (
	"errors"
	"fmt"
	"net/http"
)

// errTooManyRedirects and errRedirectScheme come back from checkRedirect
// inside a *url.Error; transportError turns them into ErrIncompatible because
// the publisher answered, just not with something usable.
var errTooManyRedirects = fmt.Errorf("more than %d redirects", maxRedirects)

type redirectSchemeError struct{ scheme string }

func (e *redirectSchemeError) Error() string {
	return fmt.Sprintf("redirect to a %q URL, want http or https", e.scheme)
}

// checkRedirect follows at most maxRedirects redirects, to http(s) only. The
// target's address is not checked here: the dialer checks it when it
// connects, which also covers names that resolve differently by then.
func checkRedirect(req *http.Request, via []*http.Request) error {
	// via holds the requests already sent: the original plus one per
	// redirect followed so far.
	if len(via) > maxRedirects {
		return errTooManyRedirects
	}
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return &redirectSchemeError{scheme: s}
	}
	return nil
}

// isRedirectError reports whether checkRedirect refused to follow.
func isRedirectError(err error) bool {
	var rs *redirectSchemeError
	return errors.Is(err, errTooManyRedirects) || errors.As(err, &rs)
}
