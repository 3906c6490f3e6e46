#!/usr/bin/env python3
"""Where each photo of a ../shared/data/training-photos.sh folder comes from, and under which licence.

usage: photo-sources.py PHOTOS_DIR rows      prints  <path>\t<SOURCES.tsv row>   for every photo
       photo-sources.py PHOTOS_DIR licence   prints  <path>\t<licence>           for every photo
       photo-sources.py PHOTOS_DIR check     lists rows without a file and files without a row
<path> is the photo's path relative to PHOTOS_DIR, '<package>/<file>' (the form of the curated lists); the cut-outs
of CUTOUTS.tsv are there too, as 'cutouts/<package>/<file>' (the form of cutouts-1.0.txt), with their CUTOUTS.tsv row
(the same three columns) and licence. The file
names are not always the original's: plasma wallpapers are <Name>-images.<ext>, gcompris' photos carved out of
Qt .rcc archives are <archive>_<NNN>.png (NNN counting the archive's WebP images, taken or not), kphotoalbum's
turned photos are .png, and a name already taken gets its folder names in front. The SOURCES.tsv rows are in the
order the photos were taken, so the n-th row of a gcompris archive is its n-th file.

The licence: for gcompris-qt-data the photo's own entry in licenses/gcompris-qt-data.image-credits (author,
licence, source, from the README beside the photo in the archive); for DEP-5 copyright files the stanza whose
Files: pattern matches the original path (the last matching stanza wins), else the '*' stanza; otherwise
"see licenses/<package>.copyright". Standard library only. Also importable (rows(), licences()).
"""
import collections
import difflib
import fnmatch
import os
import re
import sys


def read_sources(photos, listing="SOURCES.tsv"):
    path = os.path.join(photos, listing)
    if listing == "CUTOUTS.tsv" and not os.path.isfile(path):
        return []  # gathered before training-photos.sh kept cut-outs
    return [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]


def taken_name(folder, names, original):
    """training-photos.sh's name_for(): the original's name, with its folder names in front while the name is taken
    in NAMES (updated), and the extension the file has in FOLDER (its own, lower case, or .png for converted ones)."""
    ext = os.path.splitext(original)[1].lower()
    parts = original.strip("/").split("/")
    name = os.path.splitext(parts.pop())[0]
    while name in names and parts:
        name = parts.pop() + "-" + name
    names.add(name)
    for e in (ext, ".png"):
        if os.path.isfile(os.path.join(folder, name + e)):
            return name + e
    return name + ext  # missing: reported by check()


def rows(photos):
    """{'<package>/<file>': [package, original, licence file]} for every row of SOURCES.tsv, and
    {'cutouts/<package>/<file>': ...} for every row of CUTOUTS.tsv (the cut-outs, files under cutouts/)."""
    out = {}
    names = collections.defaultdict(set)
    rcc_rows = collections.defaultdict(list)
    for row in read_sources(photos):
        pkg, original = row[0], row[1]
        if ".rcc:" in original:
            rcc_rows[(pkg, original.split(":")[0])].append(row)
            continue
        base, ext = os.path.splitext(os.path.basename(original))
        m = re.search(r"/wallpapers/([^/]+)/contents/(images[^/]*)/", original)
        if m:  # plasma: <Name>-images.<ext>
            out["%s/%s-%s%s" % (pkg, m.group(1), m.group(2), ext.lower())] = row
            continue
        out["%s/%s" % (pkg, taken_name(os.path.join(photos, pkg), names[pkg], original))] = row
    # the cut-outs were taken by a run of training-photos.sh's TAKE of their own, so their names are apart
    cutout_names = collections.defaultdict(set)
    for row in read_sources(photos, "CUTOUTS.tsv"):
        pkg, original = row[0], row[1]
        folder = os.path.join(photos, "cutouts", pkg)
        out["cutouts/%s/%s" % (pkg, taken_name(folder, cutout_names[pkg], original))] = row
    for (pkg, rcc), rs in rcc_rows.items():
        prefix = os.path.basename(rcc)[:-4] + "_"
        files = sorted((f for f in os.listdir(os.path.join(photos, pkg)) if f.startswith(prefix)
                        and re.fullmatch(re.escape(prefix) + r"\d+\.png", f)), key=lambda f: int(f[len(prefix):-4]))
        if len(files) != len(rs):
            raise SystemExit("%s: %d files but %d SOURCES.tsv rows for %s" % (pkg, len(files), len(rs), rcc))
        for f, row in zip(files, rs):
            out["%s/%s" % (pkg, f)] = row
    return out


def check(photos, mapping):
    """Paths of the mapping that are not files, and photo (or cut-out) files that no row names."""
    on_disk = set()
    for folder in {os.path.dirname(p) for p in mapping}:  # <package> or cutouts/<package>
        if os.path.isdir(os.path.join(photos, folder)):
            for f in os.listdir(os.path.join(photos, folder)):
                on_disk.add("%s/%s" % (folder, f))
    return sorted(set(mapping) - on_disk), sorted(on_disk - set(mapping))


def gcompris_credits(photos):
    """{resource path: (author, licence, source)} from licenses/gcompris-qt-data.image-credits."""
    path = os.path.join(photos, "licenses", "gcompris-qt-data.image-credits")
    out = {}
    if not os.path.isfile(path):
        return out
    folder = None
    for block in re.split(r"\n\s*\n", open(path, encoding="utf-8", errors="replace").read()):
        lines = [l.rstrip() for l in block.strip().split("\n") if l.strip()]
        if lines and lines[0].startswith("== "):
            folder = os.path.dirname(lines[0][3:].split(":", 1)[1])
            lines = lines[1:]
        fields, files, in_files = {}, [], False
        for l in lines:
            key = l.split(":", 1)[0].strip().lower() if ":" in l else None
            if key in ("copyright", "license", "licence", "source", "author") and not in_files:
                fields[key] = l.split(":", 1)[1].strip()
            elif key == "files":
                in_files = True
                rest = l.split(":", 1)[1].strip()
                files += rest.split()
            elif in_files:
                if key in ("copyright", "license", "licence", "source", "author"):
                    fields[key] = l.split(":", 1)[1].strip()
                else:
                    files += l.split()
        for f in files:
            out["%s/%s" % (folder, f)] = (fields.get("copyright") or fields.get("author", "?"),
                                         fields.get("license") or fields.get("licence", "?"), fields.get("source", ""))
    return out


def dep5_stanzas(copyright_path):
    """[(patterns, licence)] of a DEP-5 copyright file ([] when it is not one)."""
    text = open(copyright_path, encoding="utf-8", errors="replace").read()
    if not text.startswith("Format:") and "\nFiles:" not in text:
        return []
    out, files, field = [], None, None
    for line in text.split("\n"):
        if line[:1] in (" ", "\t"):
            if field == "files" and files is not None:  # a continuation line of Files:
                files += line.split()
            continue
        field = line.split(":", 1)[0].strip().lower() if ":" in line else None
        if field == "files":
            files = line[6:].split()
        elif field == "license" and files is not None:
            out.append((files, line[8:].strip()))
            files = None
    return out


def dep5_licence(stanzas, original):
    name = os.path.basename(original)
    licence = None
    for patterns, lic in stanzas:
        if any(p != "*" and (fnmatch.fnmatch(original, "*/" + p) or fnmatch.fnmatch(original, "*/" + p + "/*")
                             or ("*" not in os.path.basename(p) and os.path.basename(p) == name)) for p in patterns) \
                or (patterns == ["*"] and licence is None):
            licence = lic
    return licence


# Per-photo statements that are in the packages but not in their copyright files (checked by hand in the .debs):
# {(package, original path's name): licence}
NOTES = {
    # /usr/share/palapeli/collection/<name>.desktop, X-KDE-PluginInfo-Author / -License
    ("palapeli-data", "castle-maintenon.jpg"): "FDL (GNU FDL), Eric Pouhier (collection/castle-maintenon.desktop)",
    ("palapeli-data", "cincinnati-bridge.jpg"): "Public Domain, Derek Jensen (collection/cincinnati-bridge.desktop)",
    ("palapeli-data", "citrus-fruits.jpg"): "Public Domain, US Department of Agriculture (collection/citrus-fruits.desktop)",
    ("palapeli-data", "european-honey-bee.jpg"): "Public Domain, John Severns (collection/european-honey-bee.desktop)",
    ("palapeli-data", "panther-chameleon-female.jpg"):
        "GNU-FDL, B. Navez and others (collection/panther-chameleon-female.desktop)",
    # /usr/share/doc/tuxpaint-data/AUTHORS.txt: "Starter Images"
    ("tuxpaint-data", "reef-back.png"): "Public Domain, NOAA, Thomas K. Gibson (AUTHORS.txt: Coral reef, reef2583)",
    ("tuxpaint-data", "skyline-sf-dusk-back.jpeg"):
        "Public Domain, NOAA, Rich Bourgerie (AUTHORS.txt: San Francisco at dusk, line1989)",
}
# whole folders: {(package, folder of the original path): licence}
FOLDER_NOTES = {
    # /usr/share/lxqt/wallpapers/License (the copyright file says LGPL-2.1+ for Files: *)
    ("lxqt-themes", "/usr/share/lxqt/wallpapers"): "CC-BY-SA-3.0, LXQt Project Team (wallpapers/License)",
    # not DEP-5: one licence for the whole package, nothing about the demo photos
    ("kphotoalbum", "/usr/share/kphotoalbum/demo"): "GPL-2+ (the package's licence; no statement for the demo photos)",
    # DEP-5, but only Files: * covers the avatar photos
    ("gnome-control-center-data", "/usr/share/pixmaps/faces"):
        "GPL-2+ and GPL-3+ and LGPL-2.1+ and LGPL-2+ and Expat and CC0-1.0 (Files: *; no stanza for the avatar photos)",
    ("python-matplotlib-data", "/usr/share/matplotlib/mpl-data/sample_data"):
        "matplotlib licence (PSF-based; Files: *, no stanza for sample_data)",
    # AUTHORS.txt: "Templates ... Bill Kendrick"; the copyright file's Files: * is GPL-2+
    ("tuxpaint-data", "/usr/share/tuxpaint/templates"): "GPL-2+, Bill Kendrick (AUTHORS.txt: Templates)",
    # README_IMAGES.TXT says "featured images from Wikimedia Commons", without authors or licences; the copyright
    # file's public-domain NOAA/FWS list names older kcas*.gif files, not these
    ("tuxtype-data", "/usr/share/tuxtype/images"):
        "UNCLEAR: Wikimedia Commons featured pictures, authors and licences not recorded (README_IMAGES.TXT); "
        "the copyright file's NOAA/FWS public-domain list names other (older .gif) files",
}


def licences(photos, mapping=None):
    """{path: licence text} for every photo of the mapping."""
    mapping = mapping or rows(photos)
    credits = gcompris_credits(photos)
    resources = {r[1].split(":", 1)[1] for r in mapping.values() if ".rcc:" in r[1]}
    cache, out = {}, {}
    for rel, (pkg, original, *_) in mapping.items():
        if ".rcc:" in original:
            res = original.split(":", 1)[1]
            c = credits.get(res)
            if c is None:  # a typo in the README ('screDriver.webp', 'audaPalatina.webp'): the closest name in its folder
                # among the entries that name no photo of the archive
                orphans = [k for k in credits if os.path.dirname(k) == os.path.dirname(res) and k not in resources]
                near = difflib.get_close_matches(res, orphans, n=1, cutoff=0.85)
                c = credits[near[0]] if near else None
            out[rel] = "%s, %s (%s)" % (c[1], c[0], c[2]) if c and c[2] else "%s, %s" % (c[1], c[0]) if c else \
                "see licenses/%s.image-credits" % pkg
            continue
        note = NOTES.get((pkg, os.path.basename(original))) or FOLDER_NOTES.get((pkg, os.path.dirname(original)))
        if note:
            out[rel] = note
            continue
        path = os.path.join(photos, "licenses", pkg + ".copyright")
        if pkg not in cache:
            cache[pkg] = dep5_stanzas(path) if os.path.isfile(path) else []
        lic = dep5_licence(cache[pkg], original) if cache[pkg] else None
        out[rel] = lic or "see licenses/%s.copyright" % pkg
    return out


def main():
    photos, what = sys.argv[1], sys.argv[2]
    mapping = rows(photos)
    if what == "rows":
        for rel, row in sorted(mapping.items()):
            print("%s\t%s" % (rel, "\t".join(row)))
    elif what == "licence":
        for rel, lic in sorted(licences(photos, mapping).items()):
            print("%s\t%s" % (rel, lic))
    elif what == "check":
        missing, unnamed = check(photos, mapping)
        for m in missing:
            print("no file for row: %s" % m)
        for u in unnamed:
            print("no row for file: %s" % u)
        print("%d rows, %d without file, %d files without row" % (len(mapping), len(missing), len(unnamed)))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
