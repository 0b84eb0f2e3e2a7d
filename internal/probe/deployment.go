package probe

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/baverify/baverify/internal/verify"
)

// CheckExpired says why r, the local verification of an --expired-token,
// is not a token of the deployment that is expired and otherwise valid: a
// backend that refuses a token for another reason proves nothing about
// exp.
func CheckExpired(r *verify.Result) error {
	if err := signedHere(r); err != nil {
		return err
	}
	if !r.HasError(verify.CodeExpired) {
		return fmt.Errorf("it has not expired")
	}
	return onlyErrors(r, verify.CodeExpired)
}

// CheckOtherAudience says why r, the local verification of an
// --other-audience-token, is not a token of the deployment whose aud has
// none of the genuine token's audiences and is otherwise valid.
func CheckOtherAudience(r, genuine *verify.Result) error {
	if err := signedHere(r); err != nil {
		return err
	}
	if err := onlyErrors(r, verify.CodeAudienceMismatch); err != nil {
		return err
	}
	theirs, mine := audiences(r), audiences(genuine)
	if len(theirs) == 0 {
		return fmt.Errorf("it has no aud claim")
	}
	for _, a := range theirs {
		if slices.Contains(mine, a) {
			return fmt.Errorf("its aud %q is also the genuine token's", a)
		}
	}
	return nil
}

func signedHere(r *verify.Result) error {
	if r.Token == nil {
		return fmt.Errorf("it does not decode")
	}
	if r.HasError(verify.CodeSignature) || r.HasError(verify.CodeKeyNotFound) || r.HasError(verify.CodeAlgNotAllowed) {
		return fmt.Errorf("it is not signed by a key of the JWKS (%s)", r.Primary().Code)
	}
	if !r.Verified {
		return fmt.Errorf("its signature could not be checked against the JWKS: give --base-url or --jwks")
	}
	return nil
}

// onlyErrors fails when r has an error other than want.
func onlyErrors(r *verify.Result, want verify.Code) error {
	var other []string
	for _, e := range r.Errors {
		if e.Code != want {
			other = append(other, string(e.Code))
		}
	}
	if len(other) > 0 {
		return fmt.Errorf("it is also invalid for another reason (%s), so its refusal would prove nothing", strings.Join(other, ", "))
	}
	return nil
}

// audiences is the token's aud, a string or an array of strings.
func audiences(r *verify.Result) []string {
	if r == nil {
		return nil
	}
	raw, ok := r.Claim("aud")
	if !ok {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}
