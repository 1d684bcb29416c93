package domain

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ChallengePrefix starts every ownership challenge. The format is
//
//	pfn-ownership-challenge/v1 <64 lower-case hex digits>
//
// and nothing else: 27 fixed ASCII bytes, then a 256-bit nonce. Why this
// shape: a publisher signs a challenge with the same key it signs plugin
// claims with, so a challenge must never be a byte string that also reads as
// a claim (JSON.stringify of an object starts with '{'; this starts with 'p',
// which begins no JSON value at all). Only the node's fresh nonce follows the
// prefix: no source id or username, which a publisher cannot check and which
// could carry characters ('{', '"') that would weaken that guarantee; the
// nonce alone already makes every challenge single-use. The "/v1" leaves room
// for another format without ambiguity.
const ChallengePrefix = "pfn-ownership-challenge/v1 "

// ChallengeNonceBytes: 256 bits, well above the protocol's 128-bit floor.
const ChallengeNonceBytes = 32

// BuildChallenge formats a nonce of exactly ChallengeNonceBytes bytes.
func BuildChallenge(nonce []byte) (string, error) {
	if len(nonce) != ChallengeNonceBytes {
		return "", fmt.Errorf("challenge nonce has %d bytes, want %d: %w", len(nonce), ChallengeNonceBytes, ErrInvalidInput)
	}
	return ChallengePrefix + hex.EncodeToString(nonce), nil
}

// ParseChallenge returns the nonce of a well-formed challenge, refusing
// anything else (upper-case hex included: one challenge, one spelling).
func ParseChallenge(challenge string) ([]byte, error) {
	rest, ok := strings.CutPrefix(challenge, ChallengePrefix)
	if !ok {
		return nil, fmt.Errorf("challenge does not start with %q: %w", ChallengePrefix, ErrInvalidInput)
	}
	if len(rest) != 2*ChallengeNonceBytes || strings.ToLower(rest) != rest {
		return nil, fmt.Errorf("challenge must be %q followed by %d lower-case hex digits: %w", ChallengePrefix, 2*ChallengeNonceBytes, ErrInvalidInput)
	}
	nonce, err := hex.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("challenge nonce is not hex: %w", ErrInvalidInput)
	}
	return nonce, nil
}
