"""Views of the portal core: back-office (public schema) and collectivité site (tenant)."""
