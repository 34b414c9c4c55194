package config

// Build turns catalog instances into a Config: one router and one service
// per catalog service by default (rule Host(`<name>.<domain>`)), changed
// by Traefik-style tags. Placeholder until the tag parser lands: default
// routers only, no tags read.
func Build(instances []Instance, opts Options) *Config {
	c := &Config{Routers: map[string]*Router{}, Services: map[string]*Service{}, Middlewares: map[string]*Middleware{}}
	for _, in := range instances {
		s := c.Services[in.ServiceName]
		if s == nil {
			s = &Service{Name: in.ServiceName, PassHostHeader: true, Status: StatusEnabled, Provider: "catalog"}
			c.Services[in.ServiceName] = s
			c.Routers[in.ServiceName] = &Router{Name: in.ServiceName, Rule: "Host(`" + in.ServiceName + "." + opts.Domain + "`)",
				EntryPoints: opts.EntryPoints, Service: in.ServiceName, Status: StatusEnabled, Provider: "catalog"}
		}
		w := WeightPassing
		switch in.Health {
		case HealthWarning:
			w = WeightWarning
		case HealthPassing:
		default:
			continue
		}
		s.Servers = append(s.Servers, &Server{URL: "http://" + in.Address + ":" + itoa(in.Port), Weight: w,
			Health: in.Health, InstanceID: in.ID})
	}
	return c
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
