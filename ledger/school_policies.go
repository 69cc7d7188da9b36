package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// PolicyChange is one policy a SetPolicies call changed, for the audit log.
type PolicyChange struct {
	Key string `json:"key"`
	Old any    `json:"old"`
	New any    `json:"new"`
}

// PolicyKeys are the JSON names of every policy a school stores, in the
// order of the Policies struct: what `ecard school set` and the console may set.
func PolicyKeys() []string {
	var keys []string
	for _, f := range policyFields(DefaultPolicies()) {
		keys = append(keys, f.key)
	}
	return keys
}

type policyField struct {
	key string
	raw json.RawMessage
}

// policyFields lists p as JSON name and value, in struct order.
func policyFields(p Policies) []policyField {
	raw, _ := json.Marshal(p)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out []policyField
	_, _ = dec.Token() // {
	for dec.More() {
		k, _ := dec.Token()
		var v json.RawMessage
		_ = dec.Decode(&v)
		out = append(out, policyField{key: k.(string), raw: v})
	}
	return out
}

// SetPolicies changes some of a school's policies: patch maps a policy's JSON
// name (see PolicyKeys) to its new value. Unknown keys, values of the wrong
// type and a result that breaks a rule are refused with INVALID_REQUEST and
// change nothing. The school row is the only copy every node reads, so a
// change acts on the next request everywhere.
func (l *Ledger) SetPolicies(ctx context.Context, schoolCode string, patch map[string]json.RawMessage) (School, []PolicyChange, error) {
	if len(patch) == 0 {
		return School{}, nil, refuse(CodeInvalidRequest, "name at least one policy to change: %s", strings.Join(PolicyKeys(), ", "))
	}
	known := map[string]bool{}
	for _, k := range PolicyKeys() {
		known[k] = true
	}
	var unknown []string
	for k := range patch {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return School{}, nil, refuse(CodeInvalidRequest, "unknown policy %s; the policies are %s",
			strings.Join(unknown, ", "), strings.Join(PolicyKeys(), ", "))
	}
	var school School
	var changes []PolicyChange
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT * FROM schools WHERE code = ?`+l.forUpdate(), schoolCode).Scan(&school).Error; err != nil {
			return err
		}
		if school.ID == 0 {
			return refuse(CodeNotFound, "school not found")
		}
		next, err := applyPolicyPatch(school.Policies, patch)
		if err != nil {
			return err
		}
		if err := next.validate(); err != nil {
			return err
		}
		changes = policyDiff(school.Policies, next)
		if len(changes) == 0 {
			return nil
		}
		columns := map[string]any{}
		for _, c := range changes {
			columns[c.Key] = c.New
		}
		if err := tx.Model(&School{}).Where("id = ?", school.ID).Updates(columns).Error; err != nil {
			return err
		}
		school.Policies = next
		return nil
	})
	if err != nil {
		return School{}, nil, err
	}
	return school, changes, nil
}

// applyPolicyPatch overlays patch on p through JSON, so each policy keeps its
// own type and a string where a number belongs is refused by name.
func applyPolicyPatch(p Policies, patch map[string]json.RawMessage) (Policies, error) {
	merged := map[string]json.RawMessage{}
	for _, f := range policyFields(p) {
		merged[f.key] = f.raw
	}
	for k, v := range patch {
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		probe := p
		if err := json.Unmarshal(one, &probe); err != nil {
			return Policies{}, refuse(CodeInvalidRequest, "policy %s: %s is not a valid value", k, truncate(string(v), 40))
		}
		merged[k] = v
	}
	raw, _ := json.Marshal(merged)
	var out Policies
	if err := json.Unmarshal(raw, &out); err != nil {
		return Policies{}, refuse(CodeInvalidRequest, "policies: %v", err)
	}
	return out, nil
}

// policyDiff names what differs between two policy sets. The keys are also
// the column names (json and column names agree for every policy).
func policyDiff(old, next Policies) []PolicyChange {
	was := policyFields(old)
	var out []PolicyChange
	for i, f := range policyFields(next) {
		if bytes.Equal(was[i].raw, f.raw) {
			continue
		}
		out = append(out, PolicyChange{Key: f.key, Old: jsonValue(was[i].raw), New: jsonValue(f.raw)})
	}
	return out
}

func jsonValue(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v)
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
	}
	return v
}

// DescribeChanges is the audit log's line for a policy change:
// "per_payment_limit_fen 3000→2000; code_lifetime_seconds 60→30".
func DescribeChanges(changes []PolicyChange) string {
	if len(changes) == 0 {
		return "no change"
	}
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = fmt.Sprintf("%s %v→%v", c.Key, c.Old, c.New)
	}
	return strings.Join(parts, "; ")
}
