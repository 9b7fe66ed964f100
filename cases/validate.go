package cases

import (
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"
)

// Validator checks a use case's input: first every string in it with
// CheckText, whatever its rules, then the rules of its `binding` tags (the
// tags Gin users know). Names in its errors are the caller's: the `json`
// tag's, else the `form` tag's.
type Validator struct {
	rules *validator.Validate
}

// NewValidator builds a Validator. Each Service holds its own: the
// validator caches struct metadata, and no package state is shared.
func NewValidator() *Validator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.SetTagName("binding")
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		if f.Anonymous && f.Tag.Get("json") == "" && f.Tag.Get("form") == "" {
			// An embedded struct's fields are the caller's top-level ones.
			return embedded
		}
		return fieldName(f)
	})
	return &Validator{rules: v}
}

// Check returns an Invalid *Error naming every failing field, or nil.
func (v *Validator) Check(input any) error {
	if bad := textFields(reflect.ValueOf(input), ""); len(bad) > 0 {
		return InvalidFields(bad...)
	}
	if err := v.rules.Struct(input); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return &Error{Kind: Malformed, Code: "invalid_body", Message: err.Error()}
		}
		fields := make([]FieldError, 0, len(verrs))
		for _, fe := range verrs {
			fields = append(fields, FieldError{Field: callerPath(fe), Rule: fe.Tag(), Param: fe.Param()})
		}
		return InvalidFields(fields...)
	}
	return nil
}

// fieldName is a struct field's name as the caller spells it.
func fieldName(f reflect.StructField) string {
	for _, tag := range []string{"json", "form"} {
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "-" {
			return ""
		}
		if name != "" {
			return name
		}
	}
	return f.Name
}

// embedded names an embedded struct in the validator's namespaces, so
// that callerPath can leave it out.
const embedded = "\x00embedded"

// callerPath turns the validator's namespace ("draftInput.questions[2]",
// "ActionInput.<embedded>.text") into the path the caller sent
// ("questions[2]", "text").
func callerPath(fe validator.FieldError) string {
	parts := strings.Split(fe.Namespace(), ".")[1:]
	kept := parts[:0]
	for _, p := range parts {
		if p != embedded {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}

// textFields walks every string of v, map keys included, and names those
// CheckText refuses.
func textFields(v reflect.Value, path string) []FieldError {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return textFields(v.Elem(), path)
	case reflect.String:
		if rule := CheckText(v.String()); rule != "" {
			return []FieldError{{Field: path, Rule: rule}}
		}
	case reflect.Struct:
		var bad []FieldError
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := fieldName(f)
			if name == "" {
				continue
			}
			if f.Anonymous {
				bad = append(bad, textFields(v.Field(i), path)...)
				continue
			}
			bad = append(bad, textFields(v.Field(i), join(name))...)
		}
		return bad
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes are content, not text
		}
		var bad []FieldError
		for i := range v.Len() {
			bad = append(bad, textFields(v.Index(i), path+"["+strconv.Itoa(i)+"]")...)
		}
		return bad
	case reflect.Map:
		var bad []FieldError
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			name := join("[key]")
			if k.Kind() == reflect.String {
				if rule := CheckText(k.String()); rule != "" {
					bad = append(bad, FieldError{Field: path, Rule: rule})
					continue
				}
				name = path + "[" + k.String() + "]"
			}
			bad = append(bad, textFields(iter.Value(), name)...)
		}
		// Map order is random; the caller deserves the same answer twice.
		sortFields(bad)
		return bad
	}
	return nil
}

func sortFields(f []FieldError) {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].Field < f[j-1].Field; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}
