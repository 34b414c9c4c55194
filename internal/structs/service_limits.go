package structs

import "fmt"

// Limits on the labels of one service, shared by the job spec, wharf's
// register endpoint and the Consul-shaped agent API. Consul bounds a
// service's meta to 64 keys of at most 128 characters with values of at
// most 512; wharf follows it, and bounds tags likewise, which Consul does
// not: about 240,000 tags fit in a 1 MiB body.
const (
	// MaxServiceTags bounds the tags of one service.
	MaxServiceTags = 256
	// MaxServiceTagLen bounds the length of one tag in bytes.
	MaxServiceTagLen = 512
	// MaxServiceMetaKeys bounds the meta entries of one service.
	MaxServiceMetaKeys = 64
	// MaxServiceMetaKeyLen bounds the length of one meta key in bytes.
	MaxServiceMetaKeyLen = 128
	// MaxServiceMetaValueLen bounds the length of one meta value in bytes.
	MaxServiceMetaValueLen = 512
)

// ServiceLabelLimit is one broken label limit: the field, relative to the
// service (Tags[3], Meta), and what is wrong.
type ServiceLabelLimit struct {
	Field string
	Msg   string
}

// CheckServiceLabels returns the limits that tags and meta break, at most
// one per field kind, so that 200,000 tags cost one message.
func CheckServiceLabels(tagsField string, tags []string, meta map[string]string) []ServiceLabelLimit {
	var out []ServiceLabelLimit
	if len(tags) > MaxServiceTags {
		out = append(out, ServiceLabelLimit{tagsField, fmt.Sprintf("%d tags are over the limit of %d for one service", len(tags), MaxServiceTags)})
	}
	for i, t := range tags {
		if len(t) > MaxServiceTagLen {
			out = append(out, ServiceLabelLimit{fmt.Sprintf("%s[%d]", tagsField, i), fmt.Sprintf("a tag of %d bytes is over the limit of %d", len(t), MaxServiceTagLen)})
			break
		}
	}
	if len(meta) > MaxServiceMetaKeys {
		out = append(out, ServiceLabelLimit{"Meta", fmt.Sprintf("%d keys are over the limit of %d for one service", len(meta), MaxServiceMetaKeys)})
		return out
	}
	for k, v := range meta {
		switch {
		case k == "":
			out = append(out, ServiceLabelLimit{"Meta", "an empty key"})
		case len(k) > MaxServiceMetaKeyLen:
			out = append(out, ServiceLabelLimit{"Meta", fmt.Sprintf("a key of %d bytes is over the limit of %d", len(k), MaxServiceMetaKeyLen)})
		case len(v) > MaxServiceMetaValueLen:
			out = append(out, ServiceLabelLimit{"Meta." + k, fmt.Sprintf("a value of %d bytes is over the limit of %d", len(v), MaxServiceMetaValueLen)})
		default:
			continue
		}
		return out
	}
	return out
}
