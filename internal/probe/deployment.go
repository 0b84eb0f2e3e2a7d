package probe

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/baverify/baverify/internal/verify"
)

// Kind names a token only the deployment can sign, each one wrong in one
// way a backend must notice. The values are part of the JSON output.
type Kind string

const (
	KindExpired       Kind = "expired"
	KindNotYetValid   Kind = "not_yet_valid"
	KindOtherAudience Kind = "other_audience"
	KindOtherIssuer   Kind = "other_issuer"
	// Tokens a minter can make and a deployment never issues.
	KindNoExp Kind = "no_exp"
	KindNoAud Kind = "no_aud"
)

// DeploymentToken is a token of the deployment under test, and where it
// came from ("--expired-token", "minted by --mint-from URL"): errors about
// it name the source.
type DeploymentToken struct {
	Token  string
	Source string
}

// kindSpec is what probe knows of a kind: its case, the check that the
// token is what it claims to be, and the flag that gives it.
type kindSpec struct {
	kind     Kind
	name     string // the case name
	flag     string // the flag that gives the token
	what     string // "a token of this deployment that has expired"
	attack   string
	validate func(r, genuine *verify.Result) error
	check    string // the claim it tests
	fix      string
	// onlyMinted: a deployment never issues such a token (Better Auth
	// always sets exp and aud), so only --mint-from supplies one; without
	// it the case is left out rather than listed as not tested.
	onlyMinted bool
}

// kinds are the deployment tokens probe can send, in case order.
func kinds() []kindSpec {
	return []kindSpec{
		{KindExpired, CaseExpiredToken, "--expired-token", "a token of this deployment that has expired",
			"a token this deployment signed that has expired: accepting it means exp is not checked (or with a leeway longer than its age)",
			func(r, _ *verify.Result) error { return CheckExpired(r) }, CheckExp,
			"check exp, with a leeway of seconds", false},
		{KindNotYetValid, CaseNotYetValid, "--not-yet-valid-token", "a token of this deployment whose nbf is in the future",
			"a token this deployment signed whose nbf is in the future: accepting it means nbf is not checked",
			func(r, _ *verify.Result) error { return CheckNotYetValid(r) }, CheckNbf,
			"check nbf, with a leeway of seconds", false},
		{KindOtherAudience, CaseOtherAudience, "--other-audience-token", "a token of this deployment for another audience",
			"a token this deployment signed for another audience: accepting it means aud is not checked",
			CheckOtherAudience, CheckAud,
			"check aud against this API's audience", false},
		{KindOtherIssuer, CaseOtherIssuer, "--other-issuer-token", "a token of this deployment's key with another iss",
			"a token signed by this deployment's key with another iss: accepting it means iss is not checked",
			CheckOtherIssuer, CheckIss,
			"check iss against the deployment's issuer", false},
		{kind: KindNoExp, name: CaseNoExp, flag: "--mint-from", what: "a token of this deployment's key without exp",
			attack:   "a token signed by this deployment's key without exp: accepting it means exp is not required, and such a token never expires (PyJWT and jose accept it unless told to require exp)",
			validate: func(r, _ *verify.Result) error { return CheckMissingClaim(r, "exp") }, check: CheckExp,
			fix: `require exp (PyJWT: options={"require": ["exp"]}; jose: requiredClaims: ["exp"])`, onlyMinted: true},
		{kind: KindNoAud, name: CaseNoAud, flag: "--mint-from", what: "a token of this deployment's key without aud",
			attack:   "a token signed by this deployment's key without aud: accepting it means aud is not required, so a token meant for no audience in particular opens this API",
			validate: func(r, _ *verify.Result) error { return CheckMissingClaim(r, "aud") }, check: CheckAud,
			fix: "require aud and check it against this API's audience", onlyMinted: true},
	}
}

// CheckMissingClaim says why r, the local verification of a token minted
// without the claim name, is not a token of the deployment's key that
// lacks name and is otherwise valid.
func CheckMissingClaim(r *verify.Result, name string) error {
	if err := signedHere(r); err != nil {
		return err
	}
	if _, ok := r.Claim(name); ok {
		return fmt.Errorf("it has a %s claim", name)
	}
	return onlyErrors(r, verify.CodeClaimMissing)
}

// SignedByDeployment reports whether case name sends a token the
// deployment's own key signed, wrong in one way (expired, for another
// audience, of a key taken out of the JWKS): a backend that accepts one
// lets a real token go further than it should, which is not the same as
// letting anyone forge one.
func SignedByDeployment(name string) bool {
	if name == CaseRotatedKey {
		return true
	}
	return slices.ContainsFunc(kinds(), func(k kindSpec) bool { return k.name == name })
}

// Kinds are the deployment-token kinds probe has cases for, in case order:
// a minter mints these and no others.
func Kinds() []Kind {
	var out []Kind
	for _, s := range kinds() {
		out = append(out, s.kind)
	}
	return out
}

func kindOf(k Kind) (kindSpec, bool) {
	for _, s := range kinds() {
		if s.kind == k {
			return s, true
		}
	}
	return kindSpec{}, false
}

// CheckDeploymentToken says why r, the local verification of a token given
// as kind k, is not such a token: one that is not what it claims to be
// proves nothing when it is refused.
func CheckDeploymentToken(k Kind, r, genuine *verify.Result) error {
	s, ok := kindOf(k)
	if !ok {
		return fmt.Errorf("probe does not know tokens of kind %q", k)
	}
	return s.validate(r, genuine)
}

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

// CheckNotYetValid says why r, the local verification of a
// --not-yet-valid-token, is not a token of the deployment whose nbf is in
// the future and is otherwise valid.
func CheckNotYetValid(r *verify.Result) error {
	if err := signedHere(r); err != nil {
		return err
	}
	if !r.HasError(verify.CodeNotYetValid) {
		return fmt.Errorf("it is already valid (no nbf in the future)")
	}
	return onlyErrors(r, verify.CodeNotYetValid)
}

// CheckOtherIssuer says why r, the local verification of an
// --other-issuer-token, is not a token signed by the deployment's key
// whose iss differs from the genuine token's and is otherwise valid.
func CheckOtherIssuer(r, genuine *verify.Result) error {
	if err := signedHere(r); err != nil {
		return err
	}
	if err := onlyErrors(r, verify.CodeIssuerMismatch); err != nil {
		return err
	}
	theirs, ok := stringClaim(r, "iss")
	if !ok {
		return fmt.Errorf("it has no iss claim")
	}
	if mine, _ := stringClaim(genuine, "iss"); theirs == mine {
		return fmt.Errorf("its iss %q is also the genuine token's", theirs)
	}
	return nil
}

func stringClaim(r *verify.Result, name string) (string, bool) {
	if r == nil {
		return "", false
	}
	raw, ok := r.Claim(name)
	if !ok {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
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
