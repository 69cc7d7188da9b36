package bff

// pageRoutes mounts what the web front-ends need beyond the static files.
func (s *Server) pageRoutes() {}
