/* The one version of the project: notaryd --version, notary --version, the
 * node's start line and its status reply. A build may override it with
 * -DNT_VERSION='"..."'. */
#ifndef NT_VERSION_H
#define NT_VERSION_H

#ifndef NT_VERSION
#define NT_VERSION "0.1.0"
#endif

#endif
