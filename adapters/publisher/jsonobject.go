package publisher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// jsonObject is a JSON object whose members are decoded one at a time. That
// way a member of the wrong type is reported by its JSON name rather than by
// a Go type, and for a plugin entry it spoils that entry alone instead of
// the whole response. Absent members and null are the same: not given.
type jsonObject map[string]json.RawMessage

// parseJSONObject decodes a response body that must be one JSON object.
func parseJSONObject(data []byte) (jsonObject, error) {
	trimmed := bytes.Trim(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("body is empty, want a JSON object")
	}
	var obj jsonObject
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		if json.Valid(trimmed) {
			return nil, fmt.Errorf("body is %s, want a JSON object", jsonKind(trimmed))
		}
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if obj == nil { // the body was null
		return nil, errors.New("body is null, want a JSON object")
	}
	return obj, nil
}

// jsonKind names the JSON type of a valid value, for error messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// member returns the raw value of key, or nil when it is absent or null.
func (o jsonObject) member(key string) json.RawMessage {
	raw := o[key]
	if raw == nil || jsonKind(raw) == "null" {
		return nil
	}
	return raw
}

// str returns a string member, "" when absent.
func (o jsonObject) str(key string) (string, error) {
	raw := o.member(key)
	if raw == nil {
		return "", nil
	}
	return decodeString(key, raw)
}

func decodeString(name string, raw json.RawMessage) (string, error) {
	var s string
	if kind := jsonKind(raw); kind != "a string" {
		return "", fmt.Errorf("%q is %s, want a string", name, kind)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%q is not a valid string: %w", name, err)
	}
	return s, nil
}

// object returns an object member; ok is false when it is absent.
func (o jsonObject) object(key string) (obj jsonObject, ok bool, err error) {
	raw := o.member(key)
	if raw == nil {
		return nil, false, nil
	}
	if kind := jsonKind(raw); kind != "an object" {
		return nil, false, fmt.Errorf("%q is %s, want an object", key, kind)
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, false, fmt.Errorf("%q is not a valid object: %w", key, err)
	}
	return obj, true, nil
}

// array returns the elements of an array member, nil when absent.
func (o jsonObject) array(key string) ([]json.RawMessage, error) {
	raw := o.member(key)
	if raw == nil {
		return nil, nil
	}
	if kind := jsonKind(raw); kind != "an array" {
		return nil, fmt.Errorf("%q is %s, want an array", key, kind)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%q is not a valid array: %w", key, err)
	}
	return elems, nil
}

// strings returns an array-of-strings member, nil when absent.
func (o jsonObject) strings(key string) ([]string, error) {
	elems, err := o.array(key)
	if err != nil || elems == nil {
		return nil, err
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		s, err := decodeString(key+"["+strconv.Itoa(i)+"]", e)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// stringMap returns an object-of-strings member, nil when absent.
func (o jsonObject) stringMap(key string) (map[string]string, error) {
	obj, ok, err := o.object(key)
	if !ok {
		return nil, err
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		s, err := decodeString(key+"."+k, v)
		if err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, nil
}

// stringsOrValues accepts both shapes publishers use for a list of names: an
// array of strings, or an object whose values are the names. The object's
// values come out in key order, so the same document always gives the same
// list (Go randomizes map order and JSON object order is not meaningful).
func (o jsonObject) stringsOrValues(key string) ([]string, error) {
	raw := o.member(key)
	if raw == nil {
		return nil, nil
	}
	switch jsonKind(raw) {
	case "an array":
		return o.strings(key)
	case "an object":
		m, err := o.stringMap(key)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = m[k]
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%q is %s, want an object or an array of strings", key, jsonKind(raw))
	}
}

// float returns a number member, 0 when absent.
func (o jsonObject) float(key string) (float64, error) {
	raw := o.member(key)
	if raw == nil {
		return 0, nil
	}
	if kind := jsonKind(raw); kind != "a number" {
		return 0, fmt.Errorf("%q is %s, want a number", key, kind)
	}
	f, err := strconv.ParseFloat(string(bytes.Trim(raw, " \t\r\n")), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", key)
	}
	return f, nil
}

// count returns a non-negative whole-number member, 0 when absent. 1e3 and
// 1000.0 are accepted as 1000: JavaScript publishers have no integer type.
func (o jsonObject) count(key string) (int64, error) {
	raw := o.member(key)
	if raw == nil {
		return 0, nil
	}
	if kind := jsonKind(raw); kind != "a number" {
		return 0, fmt.Errorf("%q is %s, want a number", key, kind)
	}
	text := string(bytes.Trim(raw, " \t\r\n"))
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(text, 64)
		// 2^63 itself is out of range; the float comparison must exclude it.
		if ferr != nil || f != math.Trunc(f) || f >= math.MaxInt64 || f < math.MinInt64 {
			return 0, fmt.Errorf("%q is %s, want a whole number below 2^63", key, shorten(text, 32))
		}
		n = int64(f)
	}
	if n < 0 {
		return 0, fmt.Errorf("%q is negative", key)
	}
	return n, nil
}
