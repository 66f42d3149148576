# Install every adapter package under adapters/ (editable) so that its entry point is
# registered and `python -m pytest` (testpaths: tests, adapters) runs its kit tests.
for pkg in adapters/*/; do
  [ -f "$pkg/pyproject.toml" ] || continue
  echo "   installing $pkg"
  python -m pip install --quiet -e "$pkg"
done
