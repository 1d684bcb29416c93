package publisher

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/pfn-network/pfn/domain"
)

// ProveOwnership sends challenge to the publisher at instanceURL and returns
// the signature it answers with. Checking that signature against the
// source's registered key is the caller's job: this only fetches it, and a
// response without one is ErrIncompatible.
func (c *Client) ProveOwnership(ctx context.Context, instanceURL, username, challenge string) (string, error) {
	u, err := endpointURL(instanceURL, "verify-ownership")
	if err != nil {
		return "", fmt.Errorf("POST /verify-ownership: %w", err)
	}
	// encoding/json would quietly replace invalid UTF-8, and the publisher
	// would then sign bytes other than the challenge the caller holds.
	if username == "" || challenge == "" || !utf8.ValidString(username) || !utf8.ValidString(challenge) {
		return "", fmt.Errorf("POST %s: username and challenge must be non-empty UTF-8: %w", u, domain.ErrInvalidInput)
	}
	reqBody, err := json.Marshal(struct {
		Username  string `json:"username"`
		Challenge string `json:"challenge"`
	}{username, challenge})
	if err != nil {
		return "", fmt.Errorf("POST %s: encode request: %w", u, err)
	}
	body, err := c.call(ctx, http.MethodPost, u, reqBody)
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", u, err)
	}
	sig, err := parseSignature(body)
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", u, err)
	}
	return sig, nil
}

// parseSignature decodes a /verify-ownership body; every error wraps
// ErrIncompatible.
func parseSignature(body []byte) (string, error) {
	obj, err := parseJSONObject(body)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, ErrIncompatible)
	}
	var problems problemList
	sig := problems.required(obj, "signature", "")
	if err := problems.err(); err != nil {
		return "", fmt.Errorf("%w: %w", err, ErrIncompatible)
	}
	return sig, nil
}
