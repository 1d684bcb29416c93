package publisher

import "testing"

func TestEndpointURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ instance, want string }{
		{"https://pub.example", "https://pub.example/federation-info"},
		{"https://pub.example/", "https://pub.example/federation-info"},
		{"https://pub.example//", "https://pub.example/federation-info"},
		{"https://pub.example/pfn", "https://pub.example/pfn/federation-info"},
		{"https://pub.example/pfn/", "https://pub.example/pfn/federation-info"},
		{"https://pub.example/a/b", "https://pub.example/a/b/federation-info"},
		{"https://pub.example/a%2Fb/", "https://pub.example/a%2Fb/federation-info"},
		{"https://pub.example/a%20b", "https://pub.example/a%20b/federation-info"},
		{"HTTPS://Pub.Example:8443/x", "https://Pub.Example:8443/x/federation-info"},
		{"http://[2606:4700::1111]:8080/", "http://[2606:4700::1111]:8080/federation-info"},
	}
	for _, tt := range tests {
		u, err := endpointURL(tt.instance, "federation-info")
		if err != nil {
			t.Errorf("endpointURL(%q): %v", tt.instance, err)
			continue
		}
		if got := u.String(); got != tt.want {
			t.Errorf("endpointURL(%q) = %q, want %q", tt.instance, got, tt.want)
		}
	}
}
