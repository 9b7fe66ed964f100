package load

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/openimi/openimi/system/demo"
)

// Official is a signed-in demo request handler.
type Official struct {
	Email     string
	Country   string
	Authority string
	Token     string
	// Areas are those in which the official handles requests.
	Areas []string
}

// Pair is a requesting and a responding official of different countries
// who share a legislative area: between them a request can run its course.
type Pair struct {
	Requester, Responder Official
	Area                 string
}

type countriesView struct {
	Countries []struct {
		Code string `json:"code"`
	} `json:"countries"`
}

type loginView struct {
	Token string `json:"token"`
	Me    struct {
		Authority *struct {
			ID      string `json:"id"`
			Country string `json:"country"`
		} `json:"authority"`
		Roles []struct {
			Role string `json:"role"`
			Area string `json:"area"`
		} `json:"roles"`
	} `json:"me"`
}

// SignInDemoHandlers signs in the demo request handler of up to n
// countries (`openimi seed --demo` creates one per country), in the order
// the API lists the countries.
func SignInDemoHandlers(ctx context.Context, api *API, n int) ([]Official, error) {
	var cs countriesView
	if err := api.Call(ctx, "countries", http.MethodGet, "/api/v1/countries", "", nil, http.StatusOK, &cs); err != nil {
		return nil, err
	}
	var out []Official
	for _, c := range cs.Countries {
		if len(out) == n {
			break
		}
		email := "handler." + strings.ToLower(c.Code) + "@" + demo.LoginDomain
		var lv loginView
		err := api.Call(ctx, "login", http.MethodPost, "/api/v1/auth/login", "",
			map[string]string{"email": email, "password": demo.Password}, http.StatusOK, &lv)
		if err != nil {
			return nil, fmt.Errorf("sign in %s (seed the demo data first: openimi seed --demo): %w", email, err)
		}
		if lv.Me.Authority == nil {
			return nil, fmt.Errorf("sign in %s: the account belongs to no authority", email)
		}
		o := Official{Email: email, Country: lv.Me.Authority.Country, Authority: lv.Me.Authority.ID, Token: lv.Token}
		for _, r := range lv.Me.Roles {
			if r.Role == "request_handler" && !slices.Contains(o.Areas, r.Area) {
				o.Areas = append(o.Areas, r.Area)
			}
		}
		out = append(out, o)
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("load: %d demo handlers signed in; a request needs two countries", len(out))
	}
	return out, nil
}

// Pairs lists, for each official, the officials of other countries with
// whom they share an area, interleaved so that the first pairs already
// span many countries: each virtual official takes the next pair.
func Pairs(officials []Official) []Pair {
	var out []Pair
	for shift := 1; shift < len(officials); shift++ {
		for i, req := range officials {
			resp := officials[(i+shift)%len(officials)]
			if resp.Country == req.Country {
				continue
			}
			for _, area := range req.Areas {
				if slices.Contains(resp.Areas, area) {
					out = append(out, Pair{Requester: req, Responder: resp, Area: area})
					break
				}
			}
		}
	}
	return out
}

type areaView struct {
	Area struct {
		Questions []struct {
			Code       string `json:"code"`
			AnswerType string `json:"answer_type"`
		} `json:"questions"`
	} `json:"area"`
}

// YesNoQuestions picks up to n yes/no questions of each area, which every
// answer can settle with "yes".
func YesNoQuestions(ctx context.Context, api *API, areas []string, n int) (map[string][]string, error) {
	out := map[string][]string{}
	for _, area := range areas {
		if _, done := out[area]; done {
			continue
		}
		var av areaView
		if err := api.Call(ctx, "area", http.MethodGet, "/api/v1/areas/"+area, "", nil, http.StatusOK, &av); err != nil {
			return nil, err
		}
		for _, q := range av.Area.Questions {
			if q.AnswerType == "yes_no" && len(out[area]) < n {
				out[area] = append(out[area], q.Code)
			}
		}
		if len(out[area]) == 0 {
			return nil, fmt.Errorf("load: area %s has no yes/no question to ask", area)
		}
	}
	return out, nil
}
