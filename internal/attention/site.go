package attention

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// What the public site hands the operator: contact messages not handled
// yet (a data deletion request first, by its reply deadline) and changes
// of the privacy policy not marked as seen.

// maxSiteItems bounds the messages and the policy changes listed (each):
// a flood of contact messages must not bury the rest of the list, and the
// inbox shows them all anyway.
const maxSiteItems = 50

// addSite lists the unhandled contact messages and unseen policy changes.
func (c *computation) addSite(ctx context.Context) error {
	msgs, err := c.st.ListUnhandledContactMessages(ctx, maxSiteItems)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		id := strconv.FormatInt(m.ID, 10)
		it := Item{Key: "contact:" + id, Kind: Contact, MessageID: m.ID, From: Excerpt(m.Name, 60), Excerpt: Excerpt(m.Subject, 80),
			Since: m.CreatedAt, Action: Action{Kind: ActionRead, Path: "/inbox/" + id}}
		if m.DeletionCode != "" {
			// Keyed apart from an ordinary message: the deadlines make it a
			// different thing to be told about.
			it.Kind, it.Key = Deletion, "deletion:"+id
			it.At = m.CreatedAt.Add(snsos.DeletionReplyWithin)
		}
		c.items = append(c.items, it)
	}
	changes, err := c.st.ListPolicyChanges(ctx, true, maxSiteItems)
	if err != nil {
		return err
	}
	for _, pc := range changes {
		id := strconv.FormatInt(pc.ID, 10)
		c.items = append(c.items, Item{Key: "policy:" + id, Kind: PolicyChanged, Since: pc.ChangedAt, Change: pc,
			Action: Action{Kind: ActionSeen, Path: "/inbox/policy/" + id + "/seen", POST: true}})
	}
	return nil
}

// siteText is Text for the public site's items.
func (it Item) siteText(when func(time.Time) string) string {
	from := it.From
	if from == "" {
		from = "someone"
	}
	subject := `"` + it.Excerpt + `"`
	if it.Excerpt == "" {
		subject = "no subject"
	}
	switch it.Kind {
	case Deletion:
		return "Data deletion request through the contact form from " + from + ", received " + when(it.Since) +
			". Reply by " + when(it.At) + " and complete it by " + when(it.Since.Add(snsos.DeletionCompleteWithin)) +
			". Nothing is deleted until you confirm it in the inbox."
	case Contact:
		return "New message through the contact form from " + from + ": " + subject + ". Answer it, then mark it handled in the inbox."
	case PolicyChanged:
		s := "The privacy policy changed on " + when(it.Since) + " (its last-updated date and the changelog now say so)"
		if it.Change != nil && len(it.Change.Items) > 0 {
			s += ": " + ChangeSummary(it.Change.Items)
		}
		return s + ". Check that it still says what you want, then mark it as seen."
	}
	return string(it.Kind)
}

// ChangeSummary says in English what policy change items changed, such as
// "X permission like.write added; checkpoints 1h,24h,7d → 1h,24h".
func ChangeSummary(items []snsos.PolicyChangeItem) string {
	parts := make([]string, 0, len(items))
	for _, i := range items {
		pl := ""
		if i.Platform != "" {
			pl = i.Platform.DisplayName() + " "
		}
		switch i.What {
		case "platform_added", "platform_removed":
			parts = append(parts, pl+strings.TrimPrefix(i.What, "platform_"))
		case "scope_added", "scope_removed":
			parts = append(parts, pl+"permission "+i.Name+" "+strings.TrimPrefix(i.What, "scope_"))
		case "metric_added", "metric_removed":
			parts = append(parts, pl+"metric "+i.Name+" "+strings.TrimPrefix(i.What, "metric_"))
		default:
			name := i.What
			if i.Name != "" {
				name += " " + i.Name
			}
			parts = append(parts, name+" "+orNone(i.From)+" → "+orNone(i.To))
		}
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
